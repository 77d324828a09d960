import Benchmark
import RastroAnalytics
import RastroCSV
import RastroCore
import RastroGenerator
import RastroStore

#if canImport(Glibc)
import Glibc
#endif

/// The 10-million-scan store every analytics benchmark reads: `$RASTRO_BENCH_STORE`, or one built once at
/// /tmp/rastro-bench-10m from `rastro generate --scans 10000000 --seed 42` (about a minute the first time).
let store: Store = {
    let path = getenv("RASTRO_BENCH_STORE").map { String(cString: $0) } ?? "/tmp/rastro-bench-10m"
    var status = stat()
    if stat(path + "/data.mdb", &status) != 0 {
        let building = try! Store(directory: path, timeZone: "America/Bogota")
        let generator = ScanGenerator(GeneratorConfiguration(scans: 10_000_000, seed: 42))
        let reader = CSVScanReader(validator: ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!))
        var pending: [UInt8] = []
        var header = true
        func flush(final: Bool) {
            pending.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    var batch = ScanBatch(reservingScans: 100_000)
                    var rejects: [CSVRejection] = []
                    let used = try! reader.read(
                        UnsafeRawBufferPointer(rebasing: bytes[offset...]), isFinal: final, receivedAt: 1_798_675_200_000,
                        maximumScans: 100_000, into: &batch, rejects: &rejects)
                    if !batch.isEmpty { _ = try! building.ingest(batch) }
                    if used == 0 { break }
                    offset += used
                }
                pending.removeFirst(offset)
            }
        }
        generator.generate { _, line in
            pending.append(contentsOf: line)
            if header { header = false; return }
            if pending.count > 8 << 20 { flush(final: false) }
        }
        flush(final: true)
    }
    return try! Store(directory: path, create: false)
}()

/// UTC milliseconds of a local timestamp in the store's zone.
func instant(_ text: String) -> Int64 {
    var zone = store.zone
    return try! Timestamp.parse(text, zone: &zone)
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal], timeUnits: .milliseconds, warmupIterations: 2,
        maxDuration: .seconds(4), maxIterations: 40)
    // A month cut mid-day at both ends: two edge days answered from records or timelines, the rest from summaries.
    let month = TimeWindow(from: instant("2026-09-10T10:30:00"), to: instant("2026-10-10T16:00:00"))
    let pastInstant = instant("2026-10-01T12:00:00")
    let now = instant("2026-11-29T12:00:00")

    func query<Result>(_ name: String, _ body: @escaping @Sendable (StoreReader) throws -> [Result]) {
        Benchmark(name, configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try! store.read(body).count) }
        }
    }

    query("productivity by messenger, everything") { try ProductivityReport(by: .messenger).run($0) }
    query("productivity by work centre per week") { try ProductivityReport(by: .workCenter, bucket: .week).run($0) }
    query("productivity by messenger, month cut mid-day") { try ProductivityReport(by: .messenger, window: month).run($0) }
    query("compare work centres") { try ComparisonReport(by: .workCenter).run($0) }
    query("durations picked_up→delivered by work centre") { try DurationReport(from: .pickedUp, to: .delivered, by: .workCenter).run($0) }
    query("durations picked_up→delivered by messenger") { try DurationReport(from: .pickedUp, to: .delivered, by: .messenger).run($0) }
    query("durations picked_up→delivered, month cut mid-day") {
        try DurationReport(from: .pickedUp, to: .delivered, by: .workCenter, window: month).run($0)
    }
    query("returns by reason") { try ReturnsReport(by: .reason).run($0) }
    query("returns by messenger, month cut mid-day") { try ReturnsReport(by: .messenger, window: month).run($0) }
    query("states now") { try StateReport(at: now).run($0) }
    query("states at a past instant") { try StateReport(at: pastInstant).run($0) }
    query("overdue out_for_delivery older than 24 h, now") {
        try OverdueReport(event: .outForDelivery, olderThanMilliseconds: 24 * 3_600_000, at: now).run($0)
    }
    query("overdue received older than 72 h at a past instant") {
        try OverdueReport(event: .received, olderThanMilliseconds: 72 * 3_600_000, at: pastInstant).run($0)
    }
}
