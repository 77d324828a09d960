import NIOCore
import Synchronization

/// The open connections of every listener (binary, CSV and HTTP): enforces ``ServerLimits/connections``, the bounds
/// per client address, and drains them at shutdown.
final class ConnectionRegistry: Sendable {
    /// Why a connection is refused.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case draining
        case full(Int)
        case address(String, Int)
        case unauthenticated(String, Int)

        var description: String {
            switch self {
            case .draining: "the server is shutting down"
            case .full(let maximum): "the server holds \(maximum) connections already"
            case .address(let address, let maximum): "\(address) holds \(maximum) connections already"
            case .unauthenticated(let address, let maximum):
                "\(address) holds \(maximum) connections that have not authenticated yet"
            }
        }
    }

    private struct Entry {
        var address: String
        var authenticated: Bool
        var beginClose: @Sendable () -> Void
    }

    private struct Counts {
        var open = 0
        var unauthenticated = 0
    }

    private struct State: ~Copyable {
        var open: [ObjectIdentifier: Entry] = [:]
        var perAddress: [String: Counts] = [:]
        var draining = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let limits: ServerLimits
    let metrics: ServerMetrics

    init(limits: ServerLimits, metrics: ServerMetrics) {
        self.limits = limits
        self.metrics = metrics
    }

    /// Registers a connection from `address` with the action that starts its graceful close; the refusal when the
    /// server is full or shutting down, or the address holds its most connections (or unauthenticated ones) already.
    func register(_ connection: AnyObject, address: String, beginClose: @escaping @Sendable () -> Void) -> Refusal? {
        let identifier = ObjectIdentifier(connection)
        return state.withLock { state -> Refusal? in
            if state.draining { return .draining }
            if state.open.count >= limits.connections { return .full(limits.connections) }
            var counts = state.perAddress[address] ?? Counts()
            if counts.open >= limits.connectionsPerAddress { return .address(address, limits.connectionsPerAddress) }
            if counts.unauthenticated >= limits.unauthenticatedPerAddress {
                return .unauthenticated(address, limits.unauthenticatedPerAddress)
            }
            counts.open += 1
            counts.unauthenticated += 1
            state.perAddress[address] = counts
            state.open[identifier] = Entry(address: address, authenticated: false, beginClose: beginClose)
            metrics.connections.record(state.open.count)
            return nil
        }
    }

    /// The connection has authenticated (or, on HTTP, sent its first request): it no longer counts toward
    /// ``ServerLimits/unauthenticatedPerAddress``.
    func authenticated(_ connection: AnyObject) {
        let identifier = ObjectIdentifier(connection)
        state.withLock { state in
            guard var entry = state.open[identifier], !entry.authenticated else { return }
            entry.authenticated = true
            state.open[identifier] = entry
            state.perAddress[entry.address]?.unauthenticated -= 1
        }
    }

    func unregister(_ connection: AnyObject) {
        let identifier = ObjectIdentifier(connection)
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard let entry = state.open.removeValue(forKey: identifier) else { return [] }
            if var counts = state.perAddress[entry.address] {
                counts.open -= 1
                if !entry.authenticated { counts.unauthenticated -= 1 }
                state.perAddress[entry.address] = counts.open == 0 ? nil : counts
            }
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
            return state.open.values.map(\.beginClose)
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

/// The address part of a channel's peer (no port): what per-address bounds count.
func peerAddress(_ channel: any Channel) -> String {
    guard let address = channel.remoteAddress else { return "unknown" }
    return address.ipAddress ?? "\(address)"
}
