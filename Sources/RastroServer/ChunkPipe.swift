import RastroPrimitives

/// Hands chunks of a streamed answer from a thread that reads the store to the task that writes the response, a few
/// at a time: the reader blocks while ``capacity`` chunks wait, so an export to a slow client holds a few megabytes,
/// never the export.
///
/// The reader must stay on its thread (an LMDB read transaction is closure-scoped and synchronous); the writer awaits
/// ``next()``, which suspends rather than blocks.
final class ChunkPipe: Sendable {
    static let capacity = 4

    struct Cancelled: Error {}

    private struct State {
        var chunks: [[UInt8]] = []
        var end: Result<Void, any Error>? = nil
        var waiter: CheckedContinuation<[UInt8]?, any Error>? = nil
        var cancelled = false
    }

    private let state = Monitor(State())
    /// How long the reader waits for the consumer to take a chunk before it gives up (a stalled client).
    let patienceNanoseconds: Int64

    init(patienceSeconds: Int) {
        patienceNanoseconds = Int64(patienceSeconds) * 1_000_000_000
    }

    /// Called by the reading thread; blocks while the pipe is full. Throws once the consumer has gone or stalled.
    func send(_ chunk: [UInt8]) throws {
        let waiter = try state.withLock(
            when: { $0.chunks.count < Self.capacity || $0.cancelled }, timeoutNanoseconds: patienceNanoseconds
        ) { state, timedOut in
            if state.cancelled || timedOut { throw Cancelled() }
            if let waiter = state.waiter {
                state.waiter = nil
                return Optional(waiter)
            }
            state.chunks.append(chunk)
            return nil
        }
        waiter?.resume(returning: chunk)
    }

    /// Called by the reading thread when it is done, with the error that stopped it, if any.
    func finish(_ error: (any Error)?) {
        let waiter = state.withLock { state in
            state.end = error.map { .failure($0) } ?? .success(())
            defer { state.waiter = nil }
            return state.waiter
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// The next chunk, or `nil` at the end.
    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<[UInt8]?, any Error>? = state.withLock { state in
                if !state.chunks.isEmpty { return .success(state.chunks.removeFirst()) }
                switch state.end {
                case .success: return .success(nil)
                case .failure(let error): return .failure(error)
                case nil:
                    state.waiter = continuation
                    return nil
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// The consumer stopped (the client went away): the reader's next ``send(_:)`` throws, ending its transaction.
    func cancel() {
        state.withLock { $0.cancelled = true }
    }
}
