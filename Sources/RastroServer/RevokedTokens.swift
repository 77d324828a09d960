import RastroStore
import Synchronization
import RastroPrimitives

/// The ids of revoked tokens, as the store last said, re-read at most every
/// ``ServerLimits/revocationCheckMilliseconds``: a token is checked when a connection authenticates, and every batch
/// of an open connection is checked here, so a revocation bites a connection that stays busy too.
final class RevokedTokens: Sendable {
    private struct View {
        var revoked: Set<UInt32> = []
        /// Monotonic milliseconds of the last read; `nil` before the first.
        var readAt: Int64? = nil
    }

    private let store: Store
    private let intervalMilliseconds: Int64
    private let view = Mutex(View())

    init(store: Store, intervalMilliseconds: Int) {
        self.store = store
        self.intervalMilliseconds = Int64(intervalMilliseconds)
    }

    /// Whether token `id` is revoked, as of at most one interval ago. A failed read keeps the last view.
    func isRevoked(_ id: UInt32) -> Bool {
        view.withLock { view in
            let now = SystemClock.monotonicMilliseconds
            if view.readAt.map({ now - $0 >= intervalMilliseconds }) ?? true,
                let tokens = try? store.tokens()
            {
                view.revoked = Set(tokens.filter { $0.revoked != nil }.map(\.id))
                view.readAt = now
            }
            return view.revoked.contains(id)
        }
    }
}

/// A batch refused because its connection's token was revoked after the connection authenticated.
public struct TokenRevoked: Error, CustomStringConvertible {
    public var id: UInt32
    public var description: String { "token \(id) was revoked" }
}
