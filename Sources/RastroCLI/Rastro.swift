import ArgumentParser

/// `rastro`: the analytics and administration CLI over a Rastro data directory.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct Rastro: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rastro",
        abstract: "Scan tracking for courier and document logistics: import, trace, analyse.",
        subcommands: [
            ImportCommand.self, TraceCommand.self, GenerateCommand.self, InfoCommand.self, InitCommand.self,
            ProductivityCommand.self, CompareCommand.self, DurationsCommand.self, ReturnsCommand.self, StatesCommand.self,
            OverdueCommand.self, ExportCommand.self, TokenCommand.self, AuditCommand.self, VerifyCommand.self, SendCommand.self, OpenAPICommand.self, ReportCommand.self, BackupCommand.self, RestoreCommand.self, BenchQuestionsCommand.self, FleetCommand.self, CompactCommand.self,
        ])

    public init() {}
}
