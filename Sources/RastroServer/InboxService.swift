import Logging
import NIOPosix
import RastroCore
import RastroImport
import RastroPrimitives
import RastroProtocol
import RastroStore
import ServiceLifecycle
import Synchronization

/// The watched folder `rastrod` imports by itself (`--inbox`, docs/operations.md §5).
public struct InboxSettings: Sendable {
    public var directory: String
    /// Seconds between looks at the folder when it was empty.
    public var pollSeconds = 1

    public init(directory: String) { self.directory = directory }
}

/// Imports the inbox's files one at a time, in name order, through the server's group commits: a file's batches queue
/// with the live streams' and share their commits, one batch at a time and never while the queue is congested, so a
/// huge file never starves a handheld of its acknowledgements.
///
/// Each batch is stored under a replay key naming the file (``InboxFile/identity``) and the batch's number, with
/// its answer and its audit record, in the batch's own transaction. A file taken again after a crash or a stop is cut
/// into the same batches (its receive time is kept in its first batch's answer), and the batches already stored answer
/// from the store: nothing is stored, counted or audited twice.
final class InboxService: Service, Sendable {
    let inbox: InboxDirectory
    let settings: InboxSettings
    let context: ServerContext
    /// Set at graceful shutdown: the file in hand stops after the batch being committed and is finished at the next
    /// start.
    let stopping = Atomic<Bool>(false)

    /// The thread files are read and committed from: the import's own parser thread runs beside it.
    static let thread: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    init(settings: InboxSettings, context: ServerContext) throws {
        inbox = try InboxDirectory(path: settings.directory)
        self.settings = settings
        self.context = context
    }

    func run() async throws {
        context.logger.info("watching inbox", metadata: ["directory": "\(inbox.path)"])
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully {
                let failed = await pass()
                // After a failure (a full disk), the file waits longer before it is taken again.
                let seconds = failed ? max(settings.pollSeconds, 5) : settings.pollSeconds
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(seconds)) }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
    }

    /// Imports every file present, oldest name first; `true` when one could not be finished (it stays in
    /// `processing/`).
    func pass() async -> Bool {
        do {
            return try await Self.thread.runIfActive { self.importWaiting() }
        } catch {
            return true
        }
    }

    private func importWaiting() -> Bool {
        while !stopping.load(ordering: .relaxed) {
            do {
                context.metrics.inboxWaiting.record(try inbox.waiting().count)
                guard let file = try inbox.next() else { return false }
                try importFile(file)
            } catch is InboxStopped {
                return false
            } catch {
                context.logger.error("inbox file not finished", metadata: ["error": "\(error)"])
                return true
            }
        }
        return false
    }

    private func importFile(_ file: InboxFile) throws {
        let receivedAt = try storedReceiveTime(file) ?? serverReceiveTime()
        context.logger.info(
            file.resumed ? "inbox file resumed" : "inbox file taken", metadata: ["file": "\(file.name)", "bytes": "\(file.size)"])
        // The store's own validator, as `rastro import` has it: the server's --line-bytes bounds its connections.
        let importer = Importer(
            store: context.store, validator: try context.store.validator(), batchSize: context.limits.inboxBatchScans, receivedAt: receivedAt)
        let outcome = try inbox.importFile(file, importer: importer) { chunk in
            try commit(chunk, of: file, receivedAt: receivedAt)
        }
        switch outcome {
        case .done(let name, let result, let seconds):
            context.metrics.inboxFiles["done"]?.increment()
            context.logger.info(
                "inbox file done",
                metadata: [
                    "file": "\(name)", "rows": "\(result.rows)", "accepted": "\(result.report.accepted)",
                    "duplicates": "\(result.report.duplicates)", "conflicts": "\(result.report.conflicts)",
                    "rejected": "\(result.report.rejected + result.csvRejected)", "seconds": "\(seconds)",
                ])
        case .failed(let name, let reason):
            context.metrics.inboxFiles["failed"]?.increment()
            context.logger.warning("inbox file failed", metadata: ["file": "\(name)", "reason": "\(reason)"])
            context.writer.audit(
                AuditRecord(
                    time: serverMilliseconds(), kind: .importRun, source: file.name, channel: "inbox",
                    detail: "failed: \(reason)"))
        }
    }

    /// The receive time the file's first batch was stored with, when a crash or a stop cut the file short.
    private func storedReceiveTime(_ file: InboxFile) throws -> Int64? {
        guard file.resumed, let answer = try context.store.storedAnswer(Self.key(file, batch: 0)) else { return nil }
        return try InboxAnswer.decode(answer).receivedAt
    }

    static func key(_ file: InboxFile, batch: Int) -> ReplayKey {
        ReplayKey(token: InboxAnswer.token, session: file.identity, number: UInt64(batch))
    }

    /// Stores one batch through the group commit, waiting for its turn and its durable commit.
    private func commit(_ chunk: Importer.Chunk, of file: InboxFile, receivedAt: Int64) throws -> IngestReport {
        // Live streams first: while the writer's queue is over its bound, the inbox adds nothing to it.
        while context.writer.isCongested {
            if stopping.load(ordering: .relaxed) { throw InboxStopped() }
            let drained = Monitor(false)
            context.writer.whenDrained { drained.withLock { $0 = true } }
            drained.withLock(when: { $0 }, timeoutNanoseconds: 100_000_000) { _, _ in }
        }
        if stopping.load(ordering: .relaxed) { throw InboxStopped() }
        let request = IngestRequest(
            batch: chunk.batch, replayKey: Self.key(file, batch: chunk.number),
            encodeReplay: { report in InboxAnswer(receivedAt: receivedAt, report: report).encode() },
            audit: AuditRecord(
                time: serverMilliseconds(), kind: .batch, source: file.name, channel: "inbox", rejected: chunk.parserRejects))
        let done = Monitor<Result<IngestResponse, any Error>?>(nil)
        context.writer.submit(request) { result in done.withLock { $0 = result } }
        let result = done.withLock(when: { $0 != nil }) { state, _ in state! }
        switch try result.get() {
        case .committed(let report, _):
            context.metrics.countRejected(chunk.parserRejects)
            return report
        case .replayed(let answer):
            return try InboxAnswer.decode(answer).report
        }
    }
}

/// The inbox stops at a graceful shutdown: the file in hand is finished at the next start.
struct InboxStopped: Error {}

/// What the store keeps for each inbox batch under its replay key: the file's receive time and the batch's report,
/// in the binary protocol's ack encoding (docs/protocol.md §5), the receive time in the ack's batch number.
struct InboxAnswer: Equatable {
    /// The replay keys' token: no token has id 0 (the first token created is 1).
    static let token: UInt32 = 0

    var receivedAt: Int64
    var report: IngestReport

    func encode() -> [UInt8] {
        Ack(
            batch: UInt64(bitPattern: receivedAt), accepted: report.accepted, duplicates: report.duplicates,
            conflicts: report.conflicts, rejected: report.rejected,
            problems: report.problems.map {
                Ack.Problem(index: $0.index, code: $0.kind == .conflict ? .conflict : .rejected, field: $0.field, message: $0.message)
            }
        ).encode()
    }

    static func decode(_ bytes: [UInt8]) throws -> InboxAnswer {
        let ack = try bytes.withByteView { view throws(ProtocolError) in try Ack.decode(view) }
        var report = IngestReport()
        report.accepted = ack.accepted
        report.duplicates = ack.duplicates
        report.conflicts = ack.conflicts
        report.rejected = ack.rejected
        for problem in ack.problems {
            guard problem.code == .conflict || problem.code == .rejected else {
                throw ProtocolError(.malformedFrame, "inbox answer: problem code \(problem.code) is not the store's")
            }
            report.problems.append(
                ScanProblem(index: problem.index, kind: problem.code == .conflict ? .conflict : .rejected, field: problem.field, message: problem.message))
        }
        return InboxAnswer(receivedAt: Int64(bitPattern: ack.batch), report: report)
    }
}
