import Logging
import NIOCore
import NIOPosix
import RastroAccess
import RastroCore
import RastroPrimitives
import RastroProtocol
import RastroServer
import RastroStore
import RastroTestSupport
import Testing

/// A server on ephemeral loopback ports over a temporary data directory.
final class ServerHarness: @unchecked Sendable {
    // @unchecked Sendable: every property is a `let` set in init; the test that owns the harness is its only user.
    let directory = TemporaryDirectory()
    let server: RastroServer
    let ports: RastroServer.Ports
    let task: Task<Void, any Error>

    /// The data directory: `dataDirectory`, or a new temporary one.
    let dataPath: String

    init(
        limits: ServerLimits = ServerLimits(), reasons: Bool = false, tls: TLSFiles? = nil, dataDirectory: String? = nil,
        backup: BackupSchedule? = nil, inbox: InboxSettings? = nil
    ) async throws {
        dataPath = dataDirectory ?? directory.path
        if reasons {
            _ = try Store(directory: dataPath)
            try ReasonCatalog.standardText.write(to: dataPath + "/reasons.csv")
        }
        var configuration = ServerConfiguration(dataDirectory: dataPath)
        configuration.binaryPort = 0
        configuration.csvPort = 0
        configuration.httpPort = 0
        configuration.limits = limits
        configuration.tls = tls
        configuration.backup = backup
        configuration.inbox = inbox
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = try RastroServer(configuration: configuration, logger: logger)
        self.server = server
        task = Task { try await server.run() }
        ports = await server.ports()
    }

    func token(_ kind: TokenKind, _ subject: String) throws -> String {
        try TokenVault.create(kind: kind, subject: subject, store: server.store, now: 0).token
    }

    /// Waits until the server holds `count` connections (the registry's gauge): a connect returns before the server
    /// has accepted and registered the connection.
    func waitForConnections(_ count: Int) async throws {
        for _ in 0..<500 {
            let exposition = server.metrics.exposition()
            let line = exposition.split(separator: "\n").first { $0.hasPrefix("rastro_connections ") }
            if let line, let value = Double(line.split(separator: " ").last ?? ""), Int(value) == count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the server never held \(count) connections")
    }

    func stop() async throws {
        await server.shutdown()
        try await task.value
    }
}

extension String {
    func write(to path: String) throws {
        let file = fopen(path, "wb")!
        defer { fclose(file) }
        var text = self
        text.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP connection speaking raw bytes, for protocol tests that must send what a good client never would.
final class RawConnection: @unchecked Sendable {
    // @unchecked Sendable: one test task reads and writes it, one call at a time; NIO owns the channel's threads.
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var received: [UInt8] = []

    init(port: Int) async throws {
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)) }
            }
        iterator = channel.inbound.makeAsyncIterator()
    }

    func send(_ bytes: [UInt8]) async throws { try await channel.outbound.write(ByteBuffer(bytes: bytes)) }

    func send(_ type: FrameType, _ payload: [UInt8]) async throws { try await send(Frame.encode(type, payload: payload)) }

    func finish() { channel.outbound.finish() }

    /// The next frame, or `nil` when the server closed the connection.
    func frame() async throws -> (FrameType, [UInt8])? {
        while true {
            let parsed = try received.withByteView { bytes throws(ProtocolError) in try Frame.parse(bytes, maximumBytes: 1 << 26) }
            if case .frame(let type, let payload, let length) = parsed {
                defer { received.removeFirst(length) }
                return (type, Array(received[payload]))
            }
            guard var chunk = try await iterator.next() else { return nil }
            received += chunk.readBytes(length: chunk.readableBytes) ?? []
        }
    }

    /// The next line of text, or `nil` at the end.
    func line() async throws -> String? {
        while true {
            if let end = received.firstIndex(of: 10) {
                defer { received.removeFirst(end + 1) }
                return String(decoding: received[..<end], as: UTF8.self)
            }
            guard var chunk = try await iterator.next() else { return nil }
            received += chunk.readBytes(length: chunk.readableBytes) ?? []
        }
    }

    /// Hello and welcome with a token.
    /// Sends one `POST /v1/scans` over a new connection and returns every line of the answer, status line first.
    static func post(port: Int, authorization: String, contentType: String = "text/csv", body: String) async throws -> [String] {
        let connection = try await RawConnection(port: port)
        let request = "POST /v1/scans HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(authorization)\r\n"
            + "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        try await connection.send(Array(request.utf8))
        var lines: [String] = []
        while let line = try await connection.line() { lines.append(line) }
        return lines
    }

    func handshake(token: String, session: UInt64 = 1) async throws -> (FrameType, [UInt8])? {
        try await send(.hello, Hello(session: session, token: token, client: "test").encode())
        return try await frame()
    }

    func close() async {
        channel.outbound.finish()
        try? await channel.channel.close()
    }

    deinit { channel.outbound.finish() }
}
