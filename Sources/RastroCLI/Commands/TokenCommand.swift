import RastroQueries
import ArgumentParser
import RastroAccess
import RastroCore
import RastroStore

/// `rastro token`: create, list and revoke the tokens `rastrod` accepts.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke access tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once (only its SHA-256 is stored).",
            discussion: """
                A device token may only send scans of its own device; a gateway token may send for any device; an \
                analyst token cannot send scans.
                """)

        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: "A handheld's device id.") var device: String?
        @Option(name: .long, help: "A gateway's name.") var gateway: String?
        @Option(name: .long, help: "An analyst's name.") var analyst: String?

        func validate() throws {
            let given = [device, gateway, analyst].compactMap { $0 }
            guard given.count == 1 else { throw ValidationError("give exactly one of --device, --gateway, --analyst") }
            if let device, let problem = Identifier.problem(device, maximumBytes: Limits.default.identifierBytes) {
                throw ValidationError("--device \(problem)")
            }
            if given[0].isEmpty || given[0].utf8.count > 64 { throw ValidationError("the name must be 1–64 bytes") }
        }

        func run() throws {
            let store = try Store(directory: dataOptions.directory)
            let (kind, subject): (TokenKind, String) =
                if let device { (.device, device) } else if let gateway { (.gateway, gateway) } else { (.analyst, analyst!) }
            let (id, token) = try TokenVault.create(kind: kind, subject: subject, store: store, now: nowMilliseconds())
            Console.out("token \(id) (\(kind.name) \(subject)): \(token)\n")
            Console.error("store it now: it is not shown again, and only its SHA-256 is kept\n")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never the tokens themselves).")
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var formatOption: FormatOption

        func run() throws {
            let store = try dataOptions.openForReading()
            var zone = store.zone
            let rows: [[ReportValue]] = try store.tokens().map { record in
                [
                    .integer(record.id), .text(record.kind.name), .text(record.subject),
                    .text(Timestamp.format(record.created, zone: &zone)),
                    record.revoked.map { .text(Timestamp.format($0, zone: &zone)) } ?? .null,
                ]
            }
            Console.out(ReportTable(columns: ["id", "kind", "subject", "created", "revoked"], rows: rows).render(formatOption.resolved))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: new connections using it are refused.")
        @OptionGroup var dataOptions: DataOptions
        @Argument(help: "The token's id (from `rastro token list`).") var id: UInt32

        func run() throws {
            let store = try dataOptions.openForWriting()
            guard let record = try store.revokeToken(id: id, now: nowMilliseconds()) else {
                throw ValidationError("no token with id \(id)")
            }
            Console.out("revoked token \(record.id) (\(record.kind.name) \(record.subject))\n")
        }
    }
}
