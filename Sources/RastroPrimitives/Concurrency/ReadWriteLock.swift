#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock many threads may hold shared and one exclusively: LMDB's map may be resized only while no transaction of
/// the process is open, so every transaction holds it shared and a resize exclusively.
public final class ReadWriteLock: @unchecked Sendable {
    // @unchecked Sendable: the pthread_rwlock_t is only touched through pthread_rwlock_* calls, which are thread-safe.
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    public init() {
        checkPthread(pthread_rwlock_init(lock, nil), "pthread_rwlock_init")
    }

    deinit {
        checkPthread(pthread_rwlock_destroy(lock), "pthread_rwlock_destroy")
        lock.deallocate()
    }

    /// Runs `body` holding the lock shared.
    public func withSharedLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lockShared()
        defer { unlock() }
        return try body()
    }

    /// Runs `body` holding the lock exclusively.
    public func withExclusiveLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        checkPthread(pthread_rwlock_wrlock(lock), "pthread_rwlock_wrlock")
        defer { unlock() }
        return try body()
    }

    /// Takes the lock shared, for a caller whose hold does not nest in one closure; ``unlock()`` releases it.
    public func lockShared() { checkPthread(pthread_rwlock_rdlock(lock), "pthread_rwlock_rdlock") }

    public func unlock() { checkPthread(pthread_rwlock_unlock(lock), "pthread_rwlock_unlock") }
}
