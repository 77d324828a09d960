import Logging
import NIOCore
import NIOPosix
import RastroCore
import RastroStore
import ServiceLifecycle
import Synchronization

/// `rastrod`: the ingest server. Binary frames on one port, CSV lines on another, HTTP on a third, one group-commit
/// writer behind them all, run as services under one `ServiceGroup`.
///
/// SIGTERM or SIGINT (or ``shutdown()``) stops the listeners accepting, lets every connection finish what it sent
/// and receive its acknowledgements, commits what the writer holds, and closes the store.
public final class RastroServer: Sendable {
    public struct Ports: Sendable, Equatable {
        public var binary: Int
        public var csv: Int
        public var http: Int
    }

    let configuration: ServerConfiguration
    let logger: Logger
    let context: ServerContext
    let group: ServiceGroup
    let readiness = Readiness()
    /// Held while this server exists: a second rastrod on the same directory is refused.
    let directoryLock: DirectoryLock
    let tls: ServerTLS?

    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let store = try Store(directory: configuration.dataDirectory)
        directoryLock = try DirectoryLock(directory: configuration.dataDirectory)
        let metrics = ServerMetrics()
        let removed = try store.pruneReplays(before: serverMilliseconds() - Int64(configuration.limits.replayHours) * 3_600_000)
        if removed > 0 { logger.info("pruned old batch answers", metadata: ["count": "\(removed)"]) }
        let writer = GroupCommitWriter(store: store, limits: configuration.limits, metrics: metrics, logger: logger)
        context = ServerContext(
            store: store, writer: writer, limits: configuration.limits, metrics: metrics, logger: logger,
            validator: try Self.validator(store, configuration.limits))
        let tls = try configuration.tls.map(ServerTLS.init(files:))
        let eventLoops = MultiThreadedEventLoopGroup.singleton
        let readiness = self.readiness
        let limits = configuration.limits
        let context = self.context
        let binary = ListenerService(
            name: "binary", host: configuration.host, port: configuration.binaryPort, group: eventLoops, logger: logger,
            onBound: { readiness.bound(\.binary, $0) }
        ) { channel in
            try tls?.addHandler(to: channel)
            try limitUnsentAnswers(channel, limits)
            let progress = FrameProgress(maximumBytes: min(limits.helloBytes, limits.frameBytes))
            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(limits.idleTimeoutSeconds))))
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(BinaryFrameDecoder(progress: progress)))
            try channel.pipeline.syncOperations.addHandler(BinaryConnectionHandler(server: context, progress: progress))
        }
        let csv = ListenerService(
            name: "csv", host: configuration.host, port: configuration.csvPort, group: eventLoops, logger: logger,
            onBound: { readiness.bound(\.csv, $0) }
        ) { channel in
            try tls?.addHandler(to: channel)
            try limitUnsentAnswers(channel, limits)
            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(limits.idleTimeoutSeconds))))
            try channel.pipeline.syncOperations.addHandler(CSVConnectionHandler(server: context))
        }
        let http = HTTPService.application(
            server: context, host: configuration.host, port: configuration.httpPort, group: eventLoops, tls: tls,
            onRunning: { readiness.bound(\.http, $0) })
        // Services shut down in reverse order: HTTP and the listeners stop accepting, the connections drain, and
        // the writer commits what it holds last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: WriterService(writer: writer)),
            .init(service: DrainService(connections: context.connections)),
            .init(service: binary), .init(service: csv), .init(service: http),
        ]
        if let tls { services.append(.init(service: TLSReloadService(tls: tls, logger: logger))) }
        if let schedule = configuration.backup {
            let key = try schedule.keyFile.map { try BackupKey(file: $0) }
            services.append(.init(service: BackupService(schedule: schedule, key: key, context: context)))
        }
        // Last, so shut down first: the file in hand stops between batches while the writer still commits.
        if let inbox = configuration.inbox {
            services.append(.init(service: try InboxService(settings: inbox, context: context)))
        }
        self.tls = tls
        group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }

    /// The data directory's validator, with the server's CSV record bound (`--line-bytes`) in place of the default.
    static func validator(_ store: Store, _ limits: ServerLimits) throws -> ScanValidator {
        var validator = try store.validator()
        validator.limits.csvRecordBytes = limits.lineBytes
        return validator
    }

    /// Runs until a graceful shutdown completes.
    public func run() async throws {
        logger.info("starting", metadata: ["data": "\(configuration.dataDirectory)", "host": "\(configuration.host)"])
        try await group.run()
        logger.info("stopped")
    }

    /// The bound ports, once every listener is up.
    public func ports() async -> Ports { await readiness.wait() }

    /// Starts a graceful shutdown (as SIGTERM does).
    public func shutdown() async { await group.triggerGracefulShutdown() }

    /// The metrics registry's exposition (for tests and `/metrics`).
    public var metrics: ServerMetrics { context.metrics }

    /// Reloads the TLS certificate from its files, as SIGHUP does; throws, keeping the old one, when they do not load.
    public func reloadTLS() throws { try tls?.reload() }

    /// The store the server writes (tests read it through this handle: LMDB allows one per process).
    public var store: Store { context.store }
}

/// Makes a channel unwritable once ``ServerLimits/unsentAnswerBytes`` of answers wait for its client to read them; the
/// connection handlers stop reading until it is writable again (``ReadGate``).
func limitUnsentAnswers(_ channel: any Channel, _ limits: ServerLimits) throws {
    let high = max(1, limits.unsentAnswerBytes)
    try channel.syncOptions?.setOption(
        ChannelOptions.writeBufferWaterMark, value: .init(low: high / 2, high: high))
}

/// Collects the three bound ports and wakes whoever waits for them.
final class Readiness: Sendable {
    struct State {
        var ports = RastroServer.Ports(binary: -1, csv: -1, http: -1)
        var waiters: [CheckedContinuation<RastroServer.Ports, Never>] = []

        var isReady: Bool { ports.binary >= 0 && ports.csv >= 0 && ports.http >= 0 }
    }

    private let state = Mutex(State())

    func bound(_ port: WritableKeyPath<RastroServer.Ports, Int>, _ value: Int) {
        let (ports, waiters) = state.withLock { state -> (RastroServer.Ports, [CheckedContinuation<RastroServer.Ports, Never>]) in
            state.ports[keyPath: port] = value
            guard state.isReady else { return (state.ports, []) }
            defer { state.waiters = [] }
            return (state.ports, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: ports) }
    }

    func wait() async -> RastroServer.Ports {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> RastroServer.Ports? in
                if state.isReady { return state.ports }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// A TCP listener as a service: accepts until graceful shutdown, then closes its listening socket.
struct ListenerService: Service {
    let name: String
    let host: String
    let port: Int
    let group: any EventLoopGroup
    let logger: Logger
    let onBound: @Sendable (Int) -> Void
    let initializer: @Sendable (any Channel) throws -> Void

    init(
        name: String, host: String, port: Int, group: any EventLoopGroup, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void, initializer: @escaping @Sendable (any Channel) throws -> Void
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.group = group
        self.logger = logger
        self.onBound = onBound
        self.initializer = initializer
    }

    func run() async throws {
        let initializer = self.initializer
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try initializer(channel) }
            }
            .bind(host: host, port: port).get()
        let boundPort = channel.localAddress?.port ?? port
        logger.info("listening", metadata: ["protocol": "\(name)", "port": "\(boundPort)"])
        onBound(boundPort)
        try await withGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// At shutdown, refuses new connections and waits until every open one has been answered and closed.
struct DrainService: Service {
    let connections: ConnectionRegistry

    func run() async throws {
        try? await gracefulShutdown()
        await connections.drain()
    }
}

/// At shutdown (after the connections drained), commits what the writer holds and stops it.
struct WriterService: Service {
    let writer: GroupCommitWriter

    func run() async throws {
        try? await gracefulShutdown()
        writer.stop()
    }
}
