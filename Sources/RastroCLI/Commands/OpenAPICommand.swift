import ArgumentParser
import RastroQueries

/// `rastro openapi`: the OpenAPI 3.1 document of `rastrod`'s HTTP port (what it serves at `/v1/openapi.json`).
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi", abstract: "Print the OpenAPI 3.1 document of rastrod's HTTP API (also served at /v1/openapi.json).")

    func run() throws {
        Console.out(OpenAPIDocument.json)
    }
}
