import ArgumentParser
import RastroCore
import RastroStore

/// `rastro verify`: every value decoded and checked, every index recomputed from the traces.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a data directory: decode every value, recompute every index from the traces, check the audit chain.",
        discussion: """
            Reads one consistent snapshot without stopping the server (the store is opened read-only). Every problem \
            names its database and key; the exit status is 1 when there is any. A store written before schema 4 may \
            hold values without checksums: they are counted, and gain one when next rewritten.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(name: .long, help: "List at most this many problems (all are counted).")
    var maxProblems = 100

    func run() throws {
        let store = try dataOptions.openForReading()
        let result = try store.verify(maximumProblems: max(0, maxProblems))
        var lines = "checked \(result.items) items, \(result.scans) scans; values per database: "
        lines += result.values.map { "\($0.database) \($0.count)" }.joined(separator: ", ") + "\n"
        let unchained = result.audit.unchained > 0 ? ", \(result.audit.unchained) from before the chain" : ""
        lines += "audit: \(result.audit.records) records\(unchained)\n"
        if result.uncheckedValues > 0 {
            lines += "\(result.uncheckedValues) values from before schema 4 carry no checksum (they gain one when rewritten)\n"
        }
        Console.out(lines)
        guard result.isClean else {
            var report = ""
            for problem in result.problems { report += "problem: \(EscapedText.escaping(problem.description))\n" }
            let unlisted = result.problemCount - result.problems.count
            if unlisted > 0 { report += "… and \(unlisted) more (--max-problems)\n" }
            report += "\(result.problemCount) problem\(result.problemCount == 1 ? "" : "s") found in \(store.directory)\n"
            Console.error(report)
            throw ExitCode.failure
        }
        Console.out("no problems found\n")
    }
}
