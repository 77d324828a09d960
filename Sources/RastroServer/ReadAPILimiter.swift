import RastroCore
import Synchronization

/// The read API's bounds, checked before a report runs: a token bucket per token (``ServerLimits/readsPerSecond``,
/// ``ServerLimits/readBurst``), the requests answered at once (``ServerLimits/concurrentReads``, of which at most
/// ``ServerLimits/concurrentExports`` exports), and which tokens
/// have read today (the first read of a token each day is audited; the others are only counted).
final class ReadAPILimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    private struct State {
        var buckets: [UInt32: Bucket] = [:]
        var running = 0
        var exports = 0
        /// `token << 32 | day` of the reads audited.
        var audited: Set<UInt64> = []
        var auditedDay: Int64 = 0
    }

    private let state = Mutex(State())
    let limits: ServerLimits

    init(limits: ServerLimits) { self.limits = limits }

    enum Refusal: Equatable {
        /// The token spent its budget: retry in this many seconds.
        case rate(retryAfterSeconds: Int)
        /// Too many requests running.
        case busy
        /// Too many exports running.
        case exportsBusy
    }

    /// Takes one request's budget for `token` and a running slot (and an export slot for an export); `nil` when
    /// granted (then call ``finished(export:)``).
    func begin(token: UInt32, now: Int64, export: Bool = false) -> Refusal? {
        state.withLock { state in
            var bucket = state.buckets[token] ?? Bucket(tokens: Double(limits.readBurst), updated: now)
            let refill = Double(max(0, now - bucket.updated)) / 1000 * Double(limits.readsPerSecond)
            bucket.tokens = min(Double(limits.readBurst), bucket.tokens + refill)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                state.buckets[token] = bucket
                let seconds = (1 - bucket.tokens) / Double(max(1, limits.readsPerSecond))
                return .rate(retryAfterSeconds: max(1, Int(seconds.rounded(.up))))
            }
            guard state.running < limits.concurrentReads else { return .busy }
            guard !export || state.exports < limits.concurrentExports else { return .exportsBusy }
            bucket.tokens -= 1
            state.buckets[token] = bucket
            state.running += 1
            if export { state.exports += 1 }
            return nil
        }
    }

    func finished(export: Bool = false) {
        state.withLock { state in
            state.running -= 1
            if export { state.exports -= 1 }
        }
    }

    /// Whether this is `token`'s first read of the UTC day of `now` (and records it).
    func isFirstReadToday(token: UInt32, now: Int64) -> Bool {
        let day = now / 86_400_000
        return state.withLock { state in
            if state.auditedDay != day {
                state.audited.removeAll()
                state.auditedDay = day
            }
            return state.audited.insert(UInt64(token) << 32 | UInt64(day)).inserted
        }
    }
}
