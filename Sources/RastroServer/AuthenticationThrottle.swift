import Synchronization

/// Failed authentications per client address, in one-minute windows: past ``ServerLimits/failedAuthenticationsPerMinute``
/// an address is refused without its token being looked up, until its window ends; and the audit trail gets at most
/// two records per address and window (its first failure, and the one that reached the limit) instead of one per
/// attempt, so that a token-guessing client costs neither the store nor the disk.
final class AuthenticationThrottle: Sendable {
    /// What to do with a failure.
    enum Verdict: Equatable {
        /// Audit it as usual.
        case audit
        /// Audit that the address reached the limit, with how many failures it made.
        case auditLimitReached(failures: Int)
        /// Count it only.
        case coalesce
    }

    private struct Window {
        var start: Int64
        var failures: Int
    }

    /// Addresses tracked at most: past this, windows that have ended are forgotten first, then new addresses are not
    /// tracked (they are only audited), so that a client rotating addresses cannot grow this table without end.
    static let maximumAddresses = 65_536
    static let windowMilliseconds: Int64 = 60_000

    private let windows = Mutex<[String: Window]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The seconds until `address` may try again, or `nil` when it may try now.
    func retryAfter(_ address: String, now: Int64) -> Int? {
        windows.withLock { windows -> Int? in
            guard let window = windows[address], now - window.start < Self.windowMilliseconds,
                window.failures >= limit
            else { return nil }
            return Int((window.start + Self.windowMilliseconds - now + 999) / 1_000)
        }
    }

    /// Records a failed authentication from `address`.
    func failed(_ address: String, now: Int64) -> Verdict {
        windows.withLock { windows -> Verdict in
            if windows[address] == nil && windows.count >= Self.maximumAddresses {
                windows = windows.filter { now - $0.value.start < Self.windowMilliseconds }
                if windows.count >= Self.maximumAddresses { return .audit }
            }
            var window = windows[address] ?? Window(start: now, failures: 0)
            if now - window.start >= Self.windowMilliseconds { window = Window(start: now, failures: 0) }
            window.failures += 1
            windows[address] = window
            if window.failures == 1 { return .audit }
            if window.failures == limit { return .auditLimitReached(failures: window.failures) }
            return .coalesce
        }
    }
}
