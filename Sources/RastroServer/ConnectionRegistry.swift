#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The open connections of every listener: enforces ``ServerLimits/connections`` and drains them at shutdown.
final class ConnectionRegistry: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var open: [ObjectIdentifier: @Sendable () -> Void] = [:]
    private var draining = false
    private var drained: [CheckedContinuation<Void, Never>] = []
    let maximum: Int
    let metrics: ServerMetrics

    init(maximum: Int, metrics: ServerMetrics) {
        self.maximum = maximum
        self.metrics = metrics
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Registers a connection with the action that starts its graceful close; `false` when full or shutting down.
    func register(_ connection: AnyObject, beginClose: @escaping @Sendable () -> Void) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !draining, open.count < maximum else { return false }
        open[ObjectIdentifier(connection)] = beginClose
        metrics.connections.record(open.count)
        return true
    }

    func unregister(_ connection: AnyObject) {
        pthread_mutex_lock(mutex)
        guard open.removeValue(forKey: ObjectIdentifier(connection)) != nil else {
            pthread_mutex_unlock(mutex)
            return
        }
        metrics.connections.record(open.count)
        var waiters: [CheckedContinuation<Void, Never>] = []
        if open.isEmpty && draining {
            waiters = drained
            drained = []
        }
        pthread_mutex_unlock(mutex)
        for waiter in waiters { waiter.resume() }
    }

    var isDraining: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return draining
    }

    /// Refuses new connections, asks every open one to finish what it received and close, and returns when all have.
    func drain() async {
        pthread_mutex_lock(mutex)
        draining = true
        let closers = Array(open.values)
        pthread_mutex_unlock(mutex)
        for close in closers { close() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pthread_mutex_lock(mutex)
            if open.isEmpty {
                pthread_mutex_unlock(mutex)
                continuation.resume()
                return
            }
            drained.append(continuation)
            pthread_mutex_unlock(mutex)
        }
    }
}
