import RastroCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One long-lived thread that runs a job while the calling thread runs another: the writer splits the CPU work of a
/// commit (merging timelines, deriving facts, encoding blocks) over two cores this way. LMDB calls stay on the
/// calling thread, which owns the write transaction.
final class HelperThread: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var job: (() -> Void)? = nil
    private var busy = false
    private var stopping = false
    private var thread = pthread_t()

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        let unmanaged = Unmanaged.passUnretained(self)
        pthread_create(&thread, nil, { context in
            Unmanaged<HelperThread>.fromOpaque(context!).takeUnretainedValue().loop()
            return nil
        }, unmanaged.toOpaque())
    }

    deinit {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    private func loop() {
        pthread_mutex_lock(mutex)
        while true {
            while job == nil && !stopping { pthread_cond_wait(changed, mutex) }
            if stopping { break }
            let work = job!
            pthread_mutex_unlock(mutex)
            work()
            pthread_mutex_lock(mutex)
            job = nil
            busy = false
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Runs `background` on the helper and `foreground` here, and returns when both are done.
    func run(background: @escaping () -> Void, foreground: () -> Void) {
        pthread_mutex_lock(mutex)
        precondition(!busy, "the helper thread runs one job at a time")
        busy = true
        job = background
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        foreground()
        pthread_mutex_lock(mutex)
        while busy { pthread_cond_wait(changed, mutex) }
        pthread_mutex_unlock(mutex)
    }
}
