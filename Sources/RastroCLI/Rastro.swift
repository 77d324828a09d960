import ArgumentParser

/// `rastro`: the analytics and administration CLI over a Rastro data directory.
public struct Rastro: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rastro",
        abstract: "Scan tracking for courier and document logistics: import, trace, analyse.",
        subcommands: [
            ImportCommand.self, TraceCommand.self, GenerateCommand.self, InfoCommand.self, InitCommand.self,
        ])

    public init() {}
}
