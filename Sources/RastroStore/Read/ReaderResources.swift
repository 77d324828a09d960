import RastroCore
import RastroPrimitives
import Synchronization

/// What a store's read transactions share: zstd contexts, because creating one (`ZSTD_createDCtx` clears a large
/// workspace) costs more than decoding a trace block, and a second thread for the questions that decode on two cores.
///
/// Every reader takes a context for its life and gives it back. The helper thread serves one reader at a time; a
/// reader that finds it taken runs both halves of its work on its own thread instead of waiting.
final class ReaderResources: Sendable {
    /// Contexts kept for reuse; more readers than this at once create and drop their own.
    static let pooledContexts = 8

    private struct Shared: ~Copyable {
        var contexts: [Zstd] = []
        var helper: HelperThread?
        var helperTaken = false
    }

    private let shared = Mutex(Shared())

    init() {}

    func takeZstd() -> Zstd {
        shared.withLock { $0.contexts.popLast() } ?? Zstd()
    }

    func giveBack(_ zstd: Zstd) {
        shared.withLock { shared in
            if shared.contexts.count < Self.pooledContexts { shared.contexts.append(zstd) }
        }
    }

    /// The helper thread (started on first use) while `body` runs, or `nil` when another reader holds it.
    func withHelper<Result>(_ body: (HelperThread?) throws -> Result) rethrows -> Result {
        let taken: HelperThread? = shared.withLock { shared in
            guard !shared.helperTaken else { return nil }
            shared.helperTaken = true
            if shared.helper == nil { shared.helper = HelperThread(name: "rastro-reader", nice: Limits.readerNice) }
            return shared.helper
        }
        defer { if taken != nil { shared.withLock { $0.helperTaken = false } } }
        return try body(taken)
    }
}
