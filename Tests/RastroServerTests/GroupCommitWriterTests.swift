import Logging
import RastroCore
import RastroServer
import RastroStore
import RastroTestSupport
import Synchronization
import Testing

/// The group-commit writer on its own, over a real store: how it groups batches into commits, how it stops, and that
/// a failed commit acknowledges nothing.
@Suite struct GroupCommitWriterTests {
    /// One scan per batch, each its own device and seq.
    static func batch(_ number: Int) -> ScanBatch {
        StreamFixtures.batch([
            "GW\(100_000 + number),picked_up,2026-09-01T08:00:00,M1,BOG-CEN,DEV-\(number),1,,,"
        ])
    }

    static func writer(_ directory: TemporaryDirectory, limits: ServerLimits, storeLimits: Limits = .default) throws
        -> (GroupCommitWriter, Store)
    {
        let store = try Store(directory: directory.path, limits: storeLimits)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return (GroupCommitWriter(store: store, limits: limits, metrics: ServerMetrics(), logger: logger), store)
    }

    /// Collects completions and waits for a number of them.
    final class Completions: Sendable {
        private let results = Mutex<[Result<IngestResponse, any Error>]>([])

        var completion: GroupCommitWriter.Completion {
            { result in self.results.withLock { $0.append(result) } }
        }

        func wait(for count: Int) async -> [Result<IngestResponse, any Error>] {
            while results.withLock({ $0.count }) < count { await Task.yield() }
            return results.withLock { $0 }
        }
    }

    /// A lone batch waits the commit window for company: with a long window, batches that arrive meanwhile share its
    /// commit until the commit is full.
    @Test func batchesWithinTheWindowShareOneCommit() async throws {
        let directory = TemporaryDirectory()
        var limits = ServerLimits()
        limits.commitWindowMilliseconds = 600_000
        limits.commitScans = 10
        let (writer, store) = try Self.writer(directory, limits: limits)
        let completions = Completions()
        for number in 0..<10 { writer.submit(IngestRequest(batch: Self.batch(number)), completion: completions.completion) }
        let results = await completions.wait(for: 10)
        #expect(results.allSatisfy { if case .success(.committed(let report, _)) = $0 { report.accepted == 1 } else { false } })
        #expect(try store.counters().commits == 1)
        #expect(try store.counters().accepted == 10)
        writer.stop()
    }

    /// No commit takes more than `commitScans` scans (unless one batch alone is larger); the remainder waits for the
    /// window or for `stop`, which commits it.
    @Test func aCommitHoldsAtMostCommitScans() async throws {
        let directory = TemporaryDirectory()
        var limits = ServerLimits()
        limits.commitWindowMilliseconds = 600_000
        limits.commitScans = 3
        let (writer, store) = try Self.writer(directory, limits: limits)
        let completions = Completions()
        for number in 0..<7 { writer.submit(IngestRequest(batch: Self.batch(number)), completion: completions.completion) }
        _ = await completions.wait(for: 6)
        #expect(try store.counters().commits == 2)
        writer.stop()
        let results = await completions.wait(for: 7)
        #expect(results.count == 7)
        #expect(try store.counters().commits == 3)
        #expect(try store.counters().accepted == 7)
    }

    /// `stop` commits what is queued before it returns; a batch submitted afterwards is refused, not lost silently.
    @Test func stopCommitsWhatIsQueuedAndRefusesWhatComesAfter() async throws {
        let directory = TemporaryDirectory()
        var limits = ServerLimits()
        limits.commitWindowMilliseconds = 600_000
        let (writer, store) = try Self.writer(directory, limits: limits)
        let completions = Completions()
        writer.submit(IngestRequest(batch: Self.batch(1)), completion: completions.completion)
        writer.submit(IngestRequest(batch: Self.batch(2)), completion: completions.completion)
        writer.stop()
        #expect(try store.counters().accepted == 2)
        writer.submit(IngestRequest(batch: Self.batch(3)), completion: completions.completion)
        let results = await completions.wait(for: 3)
        guard case .failure(let error) = results[2] else {
            Issue.record("a batch after stop was not refused")
            return
        }
        #expect(error is WriterStopped)
        #expect(try store.counters().accepted == 2)
    }

    /// A commit that fails (here the map cannot grow past its maximum) fails every batch in it and stores none of
    /// them; the writer carries on with the next commit.
    @Test func aFailedCommitAcknowledgesNothing() async throws {
        let directory = TemporaryDirectory()
        var limits = ServerLimits()
        limits.commitWindowMilliseconds = 0
        var storeLimits = Limits()
        storeLimits.initialMapBytes = 256 << 10
        storeLimits.maximumMapBytes = 256 << 10
        let (writer, store) = try Self.writer(directory, limits: limits, storeLimits: storeLimits)
        let big = StreamFixtures.batch(StreamFixtures.generated(scans: 20_000, seed: 7).clean)
        let completions = Completions()
        writer.submit(IngestRequest(batch: big), completion: completions.completion)
        let first = await completions.wait(for: 1)
        guard case .failure = first[0] else {
            Issue.record("a commit larger than the map was acknowledged")
            writer.stop()
            return
        }
        #expect(try store.counters().accepted == 0)
        writer.submit(IngestRequest(batch: Self.batch(1)), completion: completions.completion)
        let second = await completions.wait(for: 2)
        guard case .success(.committed(let report, _)) = second[1] else {
            Issue.record("the writer did not recover after a failed commit")
            writer.stop()
            return
        }
        #expect(report.accepted == 1)
        #expect(try store.counters().accepted == 1)
        writer.stop()
    }

    /// Refused connections are audited directly, without a batch: records queued together are written together, none
    /// is lost, none stores a scan, and a batch queued beside them is still committed.
    @Test func refusalsAreAuditedWithoutABatch() async throws {
        let directory = TemporaryDirectory()
        var limits = ServerLimits()
        limits.commitWindowMilliseconds = 0
        let (writer, store) = try Self.writer(directory, limits: limits)
        for number in 0..<50 {
            writer.audit(
                AuditRecord(time: Int64(number), kind: .refused, token: 0, source: "10.0.0.\(number)", channel: "binary"))
        }
        let completions = Completions()
        writer.submit(IngestRequest(batch: Self.batch(1)), completion: completions.completion)
        _ = await completions.wait(for: 1)
        writer.stop()
        let refusals = try store.auditRecords().filter { $0.kind == .refused }
        #expect(refusals.count == 50)
        #expect(Set(refusals.map(\.source)) == Set((0..<50).map { "10.0.0.\($0)" }))
        #expect(try store.counters().accepted == 1)
        #expect(try store.counters().commits == 1)
    }
}
