import NIOCore
import Synchronization

/// The open connections of every listener: enforces ``ServerLimits/connections`` and drains them at shutdown.
final class ConnectionRegistry: Sendable {
    private struct State: ~Copyable {
        var open: [ObjectIdentifier: @Sendable () -> Void] = [:]
        var draining = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let maximum: Int
    let metrics: ServerMetrics

    init(maximum: Int, metrics: ServerMetrics) {
        self.maximum = maximum
        self.metrics = metrics
    }

    /// Registers a connection with the action that starts its graceful close; `false` when full or shutting down.
    func register(_ connection: AnyObject, beginClose: @escaping @Sendable () -> Void) -> Bool {
        let identifier = ObjectIdentifier(connection)
        return state.withLock { state in
            guard !state.draining, state.open.count < maximum else { return false }
            state.open[identifier] = beginClose
            metrics.connections.record(state.open.count)
            return true
        }
    }

    func unregister(_ connection: AnyObject) {
        let identifier = ObjectIdentifier(connection)
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard state.open.removeValue(forKey: identifier) != nil else { return [] }
            metrics.connections.record(state.open.count)
            guard state.open.isEmpty && state.draining else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    var isDraining: Bool { state.withLock { $0.draining } }

    /// Refuses new connections, asks every open one to finish what it received and close, and returns when all have.
    func drain() async {
        let closers = state.withLock { state in
            state.draining = true
            return Array(state.open.values)
        }
        for close in closers { close() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.open.isEmpty { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
