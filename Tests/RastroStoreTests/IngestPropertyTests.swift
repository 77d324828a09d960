import RastroCSV
import RastroCore
import RastroStore
import RastroTestSupport
import Testing

/// The exactly-once and late-scan properties of issue 2, checked on generated streams.
@Suite("Ingest properties")
struct IngestPropertyTests {
    /// A map far smaller than the data: every test run grows it several times mid-commit.
    static var tinyMap: Limits {
        var limits = Limits()
        limits.initialMapBytes = 256 << 10
        return limits
    }

    struct TraceLine: Equatable, Comparable, CustomStringConvertible {
        var time: Int64
        var event: Event
        var messenger: String
        var center: String
        var device: String
        var seq: UInt64
        var reason: String?
        var latitude: Int32?
        var longitude: Int32?

        static func < (lhs: TraceLine, rhs: TraceLine) -> Bool {
            (lhs.time, lhs.device, lhs.seq) < (rhs.time, rhs.device, rhs.seq)
        }

        var description: String { "\(time) \(event.code) \(device)#\(seq)" }
    }

    static func lines(_ entries: [TraceEntry]) -> [TraceLine] {
        entries.map {
            TraceLine(
                time: $0.scannedAt, event: $0.event, messenger: $0.messenger, center: $0.workCenter, device: $0.device,
                seq: $0.seq, reason: $0.reason, latitude: $0.latitude, longitude: $0.longitude)
        }
    }

    /// The oracle: each item's scans straight from the clean rows.
    static func expectedTraces(_ clean: ScanBatch) -> [String: [TraceLine]] {
        var traces: [String: [TraceLine]] = [:]
        for scan in clean.scans {
            traces[clean.string(scan.trackingID), default: []].append(
                TraceLine(
                    time: scan.scannedAt, event: scan.event, messenger: clean.string(scan.messenger),
                    center: clean.string(scan.workCenter), device: clean.string(scan.device), seq: scan.seq,
                    reason: scan.reason.length == 0 ? nil : clean.string(scan.reason),
                    latitude: scan.hasLocation ? scan.latitude : nil, longitude: scan.hasLocation ? scan.longitude : nil))
        }
        return traces
    }

    /// Splits rows into batches of random sizes and ingests them.
    static func ingest(_ rows: [String], into store: Store, seed: UInt64, maximumBatch: Int) throws -> IngestReport {
        var random = SplitMixForTests(seed: seed)
        var total = IngestReport()
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + 1 + random.below(maximumBatch))
            total.add(try store.ingest(StreamFixtures.batch(Array(rows[start..<end]))))
            start = end
        }
        return total
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func aShuffledStreamWithResendsStoresExactlyTheUniqueScans(seed: UInt64) throws {
        let generated = StreamFixtures.generated(scans: 6_000, seed: seed)
        let clean = StreamFixtures.batch(generated.clean)
        // Resends: the generator's, plus extra copies of 5% of the scans; then everything in a random order.
        var stream = generated.clean
        var random = SplitMixForTests(seed: seed &* 31)
        var extraResends = 0
        for row in generated.clean where random.below(20) == 0 {
            stream.append(row)
            extraResends += 1
        }
        stream = shuffled(stream, seed: seed)

        let shuffledDirectory = TemporaryDirectory()
        let shuffledStore = try Store(directory: shuffledDirectory.path, limits: Self.tinyMap)
        let report = try Self.ingest(stream, into: shuffledStore, seed: seed, maximumBatch: 700)
        #expect(report.accepted == clean.count)
        #expect(report.duplicates == extraResends)
        #expect(report.conflicts == 0 && report.rejected == 0)

        // The same scans in scanned_at order, in one pass.
        let orderedDirectory = TemporaryDirectory()
        let orderedStore = try Store(directory: orderedDirectory.path, limits: Self.tinyMap)
        let byTime = generated.clean.indices.sorted { clean.scans[$0].scannedAt < clean.scans[$1].scannedAt }
        _ = try Self.ingest(byTime.map { generated.clean[$0] }, into: orderedStore, seed: seed, maximumBatch: 2_000)

        let expected = Self.expectedTraces(clean)
        try shuffledStore.read { shuffledReader in
            try orderedStore.read { orderedReader in
                for (trackingID, oracle) in expected {
                    let got = try #require(try shuffledReader.trace(trackingID), "missing \(trackingID)")
                    let ordered = try #require(try orderedReader.trace(trackingID))
                    let lines = Self.lines(got)
                    #expect(lines.sorted() == oracle.sorted(), "\(trackingID)")
                    #expect(lines.map(\.time) == lines.map(\.time).sorted(), "\(trackingID) is not in scanned_at order")
                    #expect(lines.sorted() == Self.lines(ordered).sorted())
                }
            }
        }
        #expect(try shuffledStore.counters().accepted == UInt64(clean.count))
        #expect(try shuffledStore.counters().nextItem == UInt32(expected.count))
        // Every index equals the one built in scanned_at order.
        let shuffledIndexes = try IndexDump.of(shuffledStore)
        let orderedIndexes = try IndexDump.of(orderedStore)
        #expect(shuffledIndexes.cells == orderedIndexes.cells)
        #expect(shuffledIndexes.cellSummaries == orderedIndexes.cellSummaries)
        #expect(shuffledIndexes.summariesMatchCells && !shuffledIndexes.cellSummaries.isEmpty)
        #expect(shuffledIndexes.centerTotals == orderedIndexes.centerTotals)
        #expect(shuffledIndexes.totalMismatches.isEmpty && !shuffledIndexes.centerTotals.isEmpty)
        #expect(shuffledIndexes.dayStates == orderedIndexes.dayStates)
        #expect(shuffledIndexes.durations == orderedIndexes.durations)
        #expect(shuffledIndexes.current == orderedIndexes.current)
        #expect(shuffledIndexes.touched == orderedIndexes.touched)
        #expect(shuffledIndexes.seqs == orderedIndexes.seqs)
        #expect(!shuffledIndexes.durations.isEmpty && !shuffledIndexes.cells.isEmpty)
    }

    @Test func theGeneratedStreamInUploadOrderCountsItsResendsAndConflicts() throws {
        let generated = StreamFixtures.generated(scans: 20_000, seed: 11)
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path, limits: Self.tinyMap)
        let report = try Self.ingest(generated.all, into: store, seed: 5, maximumBatch: 3_000)
        #expect(report.accepted == generated.clean.count)
        #expect(report.duplicates == generated.resends)
        #expect(report.conflicts == generated.conflicts)
        #expect(report.problems.allSatisfy { $0.kind == .conflict })
    }

    @Test func resendingEveryBatchChangesNothing() throws {
        let generated = StreamFixtures.generated(scans: 3_000, seed: 4)
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        _ = try Self.ingest(generated.clean, into: store, seed: 1, maximumBatch: 400)
        let before = try IndexDump.of(store)
        let again = try Self.ingest(generated.clean, into: store, seed: 2, maximumBatch: 900)
        #expect(again.accepted == 0 && again.duplicates == generated.clean.count)
        #expect(try IndexDump.of(store) == before)
    }
}

/// SplitMix for the test target without importing the generator's internals.
struct SplitMixForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
