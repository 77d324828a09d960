import ArgumentParser
@testable import RastroCLI

/// Runs `rastro` with arguments in this process and returns what it printed.
func rastro(_ arguments: String...) async throws -> ConsoleCapture {
    try await rastro(arguments)
}

func rastro(_ arguments: [String]) async throws -> ConsoleCapture {
    let capture = ConsoleCapture()
    try await Console.$capture.withValue(capture) {
        var command = try Rastro.parseAsRoot(arguments)
        try command.run()
    }
    return capture
}

/// Writes text to a file.
func write(_ text: String, to path: String) throws {
    try writeFile(path, Array(text.utf8))
}

func read(_ path: String) throws -> String {
    try readFileIfPresent(path) ?? ""
}
