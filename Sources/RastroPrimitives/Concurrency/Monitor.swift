#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// State guarded by a mutex, with a condition variable for threads that wait for another thread's change: the
/// helper thread's job slot, the group-commit queue, the import's bounded queue.
///
/// Every change made through ``withLock(_:)`` wakes the waiters, which check their condition again; waits are on
/// the monotonic clock, so a wall-clock step neither shortens nor stretches them. Plain mutual exclusion without
/// waiting uses `Synchronization.Mutex` instead.
public final class Monitor<State>: @unchecked Sendable {
    // @unchecked Sendable: `state` is read and written only between pthread_mutex_lock and pthread_mutex_unlock.
    private var state: State
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init(_ state: State) {
        self.state = state
        var mutexAttributes = pthread_mutexattr_t()
        checkPthread(pthread_mutexattr_init(&mutexAttributes), "pthread_mutexattr_init")
        // Error-checking in debug builds: relocking or unlocking from the wrong thread fails instead of hanging.
        assert({
            checkPthread(
                pthread_mutexattr_settype(&mutexAttributes, Int32(PTHREAD_MUTEX_ERRORCHECK)), "pthread_mutexattr_settype")
            return true
        }())
        checkPthread(pthread_mutex_init(mutex, &mutexAttributes), "pthread_mutex_init")
        checkPthread(pthread_mutexattr_destroy(&mutexAttributes), "pthread_mutexattr_destroy")
        var conditionAttributes = pthread_condattr_t()
        checkPthread(pthread_condattr_init(&conditionAttributes), "pthread_condattr_init")
        #if os(Linux)
        checkPthread(pthread_condattr_setclock(&conditionAttributes, CLOCK_MONOTONIC), "pthread_condattr_setclock")
        #endif
        checkPthread(pthread_cond_init(changed, &conditionAttributes), "pthread_cond_init")
        checkPthread(pthread_condattr_destroy(&conditionAttributes), "pthread_condattr_destroy")
    }

    deinit {
        checkPthread(pthread_cond_destroy(changed), "pthread_cond_destroy")
        checkPthread(pthread_mutex_destroy(mutex), "pthread_mutex_destroy")
        changed.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the state locked, then wakes every waiter.
    @discardableResult
    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        lock()
        defer {
            checkPthread(pthread_cond_broadcast(changed), "pthread_cond_broadcast")
            unlock()
        }
        return try body(&state)
    }

    /// Waits until `condition` holds (or `timeoutNanoseconds` pass, when given), then runs `body` with the state
    /// locked and wakes every waiter. `body`'s second argument says whether the wait ended by its timeout.
    @discardableResult
    public func withLock<Result>(
        when condition: (State) -> Bool, timeoutNanoseconds: Int64? = nil, _ body: (inout State, _ timedOut: Bool) throws -> Result
    ) rethrows -> Result {
        lock()
        defer {
            checkPthread(pthread_cond_broadcast(changed), "pthread_cond_broadcast")
            unlock()
        }
        var timedOut = false
        if let timeoutNanoseconds {
            var deadline = Self.monotonicNow()
            let total = Int64(deadline.tv_nsec) + timeoutNanoseconds % 1_000_000_000
            deadline.tv_sec += Int(timeoutNanoseconds / 1_000_000_000 + total / 1_000_000_000)
            deadline.tv_nsec = Int(total % 1_000_000_000)
            while !condition(state) {
                let code = pthread_cond_timedwait(changed, mutex, &deadline)
                if code == ETIMEDOUT {
                    timedOut = !condition(state)
                    break
                }
                checkPthread(code, "pthread_cond_timedwait")
            }
        } else {
            while !condition(state) { checkPthread(pthread_cond_wait(changed, mutex), "pthread_cond_wait") }
        }
        return try body(&state, timedOut)
    }

    private func lock() { checkPthread(pthread_mutex_lock(mutex), "pthread_mutex_lock") }
    private func unlock() { checkPthread(pthread_mutex_unlock(mutex), "pthread_mutex_unlock") }

    private static func monotonicNow() -> timespec {
        var now = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_MONOTONIC, &now)
        #else
        clock_gettime(CLOCK_REALTIME, &now)
        #endif
        return now
    }
}
