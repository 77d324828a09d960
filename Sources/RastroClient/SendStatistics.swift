import Synchronization

/// Counters shared by every connection of a send, read by the progress display.
final class SendStatistics: Sendable {
    private let state = Mutex(SendResult())
    private let sentRows = Atomic<Int>(0)

    func add(accepted: Int, duplicates: Int, conflicts: Int, rejected: Int) {
        state.withLock { result in
            result.accepted += accepted
            result.duplicates += duplicates
            result.conflicts += conflicts
            result.rejected += rejected
            result.batches += 1
        }
    }

    func addRejectedLocally(_ count: Int) {
        state.withLock { $0.rejected += count }
    }

    func reconnected() {
        state.withLock { $0.reconnections += 1 }
    }

    func sent(_ rows: Int) {
        sentRows.wrappingAdd(rows, ordering: .relaxed)
    }

    var result: SendResult { state.withLock { $0 } }
    var rowsSent: Int { sentRows.load(ordering: .relaxed) }
}
