import ArgumentParser
import RastroCore
import RastroQueries
import RastroStore

/// `rastro audit`: committed batches, administrative actions and refused connections.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "List the audit trail: batches, token changes, imports, refusals.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: ArgumentHelp("Only entries at or after this date or timestamp (site time zone).", valueName: "T"))
    var since: String?

    @Option(name: .long, help: "At most this many entries.")
    var limit = 10_000

    @Flag(name: .long, help: "Check the trail's hash chain instead of listing it; exits 1 when it is broken.")
    var verify = false

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        if verify {
            let result = try store.verifyAudit()
            if let broken = result.broken {
                Console.error(
                    "audit trail broken at record \(broken.index + 1) of \(result.records) (\(Timestamp.format(broken.time, zone: &zone))): "
                        + "it, or a record before it, was changed, removed or inserted\n")
                throw ExitCode.failure
            }
            let unchained = result.unchained > 0 ? " (\(result.unchained) from before the chain, not covered)" : ""
            Console.out("audit trail intact: \(result.records) records\(unchained), head \(result.head)\n")
            return
        }
        var start: Int64 = 0
        if let since {
            do {
                start = try parseInstant(since, zone: &zone)
            } catch {
                throw ValidationError("--since: \(error)")
            }
        }
        let records = try store.auditRecords(since: start, limit: limit)
        let rows: [[ReportValue]] = records.map { record in
            [
                .text(Timestamp.format(record.time, zone: &zone)), .text(record.kind.name),
                record.token == 0 ? .null : .integer(record.token), .text(record.channel), .text(record.source),
                .integer(record.accepted), .integer(record.duplicates), .integer(record.conflicts), .integer(record.rejected),
                .text(record.detail),
            ]
        }
        let columns = ["time", "action", "token", "channel", "source", "accepted", "duplicates", "conflicts", "rejected", "detail"]
        Console.out(ReportTable(columns: columns, rows: rows).render(formatOption.resolved))
    }
}
