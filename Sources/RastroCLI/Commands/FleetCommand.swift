import ArgumentParser
import RastroClient
import RastroCore
import RastroGenerator
import RastroQueries

/// `rastro fleet`: the load of many handhelds at once, for benchmarks (issue "Fleet and footprint").
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Many handhelds at once, each on its own binary connection sending a small batch every few seconds.",
        discussion: """
            Each handheld has its own device id (FLEET-<run>-N) and sequence, sends --batch scans every --every seconds \
            (±20 %, each starting at a random point of its first period) and waits for the acknowledgement. The scans \
            come from rastro generate's network. Prints the rate, the ack latency percentiles, errors and the \
            generator's own CPU, then one summary line. The server must allow the connections: rastrod \
            --max-connections and --max-connections-per-address at least --handhelds.
            """)

    @Option(name: .long, help: ArgumentHelp("Where rastrod's binary protocol listens.", valueName: "HOST:PORT"))
    var to: String

    @Option(name: .long, help: "A gateway token (rastro token create --gateway).")
    var token: String

    @Option(name: .long, help: "Handhelds, each on its own connection.") var handhelds = 100
    @Option(name: .long, help: "Scans per batch.") var batch = 20
    @Option(name: .long, help: "Seconds between a handheld's batches, on average.") var every = 2.0
    @Option(name: .long, help: "Seconds to run.") var seconds = 30.0
    @Option(name: .long, help: "Batches each handheld sends at most (the run may end before --seconds).") var batches: Int?
    @Option(name: .long, help: "Distinct scans in the pool the handhelds take their content from.") var poolScans = 100_000
    @Option(name: .long, help: "Seed of the pool.") var seed: UInt64 = 1
    @Option(name: .long, help: "Device ids are this and the handheld's number (default: FLEET-<random>-, new each run).")
    var devicePrefix: String?

    func validate() throws {
        guard let colon = to.lastIndex(of: ":"), Int(to[to.index(after: colon)...]) != nil else {
            throw ValidationError("--to must be HOST:PORT")
        }
        guard (1...100_000).contains(handhelds) else { throw ValidationError("--handhelds must be 1…100000") }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1…10000") }
        guard every > 0, seconds > 0 else { throw ValidationError("--every and --seconds must be positive") }
        guard poolScans > 0 else { throw ValidationError("--pool-scans must be positive") }
        guard batches.map({ $0 > 0 }) ?? true else { throw ValidationError("--batches must be positive") }
    }

    func run() async throws {
        let colon = to.lastIndex(of: ":")!
        var configuration = FleetConfiguration(
            host: String(to[..<colon]), port: Int(to[to.index(after: colon)...])!, token: token)
        configuration.handhelds = handhelds
        configuration.batch = batch
        configuration.everySeconds = every
        configuration.seconds = seconds
        if let devicePrefix { configuration.devicePrefix = devicePrefix }
        configuration.batchesPerHandheld = batches
        let rows = ScanGenerator(GeneratorConfiguration(scans: poolScans, seed: seed)).rows().filter { $0.kind == .scan }.map(\.line)
        let pool = Fleet.pool(rows: rows, validator: ScanValidator(zone: SiteTimeZone(identifier: SiteTimeZone.defaultIdentifier)!))
        let report = await Fleet.run(configuration, pool: pool)
        let rate = report.seconds > 0 ? Double(report.scans) / report.seconds : 0
        Console.out(
            """
            handhelds \(report.handhelds) (connected \(report.connected)), batches of \(batch) every \(every) s, \
            \(formatFixed(report.seconds, 1)) s
            scans \(report.scans) (accepted \(report.accepted), duplicates \(report.duplicates), conflicts \
            \(report.conflicts), rejected \(report.rejected)): \(Int(rate)) scans/s, \
            \(Int(Double(report.batches) / max(report.seconds, 1e-9))) acks/s
            ack latency ms: p50 \(formatFixed(report.milliseconds(50), 1)), p90 \(formatFixed(report.milliseconds(90), 1)), \
            p99 \(formatFixed(report.milliseconds(99), 1)), p99.9 \(formatFixed(report.milliseconds(99.9), 1)), \
            max \(formatFixed(Double(report.latency.maxRecorded) / 1_000, 1))
            errors and reconnections \(report.errors); generator CPU \(formatFixed(report.cpuSeconds, 1)) s \
            (\(Int(100 * report.cpuSeconds / max(report.seconds, 1e-9))) % of one core)
            \(report.summary)

            """)
    }
}
