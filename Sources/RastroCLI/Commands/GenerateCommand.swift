import ArgumentParser
import RastroQueries
import RastroCore
import RastroGenerator

/// `rastro generate`: a deterministic, realistic scan stream.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a deterministic, realistic scan stream as CSV.",
        discussion: """
            A courier network simulated day by day: pickups, centre receptions, transit, delivery rounds, failed \
            attempts with standard reasons, returns. Handhelds upload in batches; some go offline for hours (late \
            scans), some batches are resent, a reset handheld sometimes reuses seqs (conflicts), a few rows are \
            malformed. The same --scans and --seed always give the same bytes.
            """)

    @Option(name: .long, help: "Distinct valid scans to generate (resends, conflicts and malformed rows come on top).")
    var scans: Int

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "FILE"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("First simulated day (YYYY-MM-DD).", valueName: "DATE"))
    var start: String = "2026-09-01"

    @Flag(name: .long, help: "Only the distinct valid scans: no resends, conflicts or malformed rows.")
    var clean = false

    func validate() throws {
        guard scans > 0 && scans <= 2_000_000_000 else { throw ValidationError("--scans must be 1…2000000000") }
        guard parseDate(start) != nil else { throw ValidationError("--start must be a date YYYY-MM-DD") }
    }

    func run() throws {
        var configuration = GeneratorConfiguration(scans: scans, seed: seed)
        configuration.start = parseDate(start)!
        configuration.clean = clean
        let generator = ScanGenerator(configuration)
        let output = try OutputFile(out)
        defer { output.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        generator.generate { _, line in
            buffer.append(contentsOf: line)
            if buffer.count >= 1 << 20 {
                output.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        output.write(buffer)
        let statistics = generator.statistics
        Console.error(
            "generated \(statistics.rows) rows: \(statistics.scans) scans of \(statistics.items) items over "
                + "\(statistics.days) days, \(statistics.resends) resent, \(statistics.conflicts) conflicting, "
                + "\(statistics.malformed) malformed\n")
    }
}
