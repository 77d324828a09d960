#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a store's read transactions share: zstd contexts, because creating one (`ZSTD_createDCtx` clears a large
/// workspace) costs more than decoding a trace block, and a second thread for the questions that decode on two cores.
///
/// Every reader takes a context for its life and gives it back. The helper thread serves one reader at a time; a
/// reader that finds it taken runs both halves of its work on its own thread instead of waiting.
final class ReaderResources: @unchecked Sendable {
    /// Contexts kept for reuse; more readers than this at once create and drop their own.
    static let pooledContexts = 8

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var contexts: [Zstd] = []
    private var helper: HelperThread?
    private var helperTaken = false

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func takeZstd() -> Zstd {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return contexts.popLast() ?? Zstd()
    }

    func giveBack(_ zstd: Zstd) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if contexts.count < Self.pooledContexts { contexts.append(zstd) }
    }

    /// The helper thread (started on first use) while `body` runs, or `nil` when another reader holds it.
    func withHelper<Result>(_ body: (HelperThread?) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        var taken: HelperThread? = nil
        if !helperTaken {
            helperTaken = true
            if helper == nil { helper = HelperThread() }
            taken = helper
        }
        pthread_mutex_unlock(mutex)
        defer {
            if taken != nil {
                pthread_mutex_lock(mutex)
                helperTaken = false
                pthread_mutex_unlock(mutex)
            }
        }
        return try body(taken)
    }
}
