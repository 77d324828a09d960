import NIOCore
import RastroAccess
import RastroCore
import RastroPrimitives
import RastroProtocol
import RastroServer
import RastroStore
import RastroTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile and unlucky clients: each bound of ``ServerLimits`` holds, and the server carries on for everyone else.
/// The time limit catches a hang; the whole suite beside it on two cores can make a test take minutes.
@Suite("rastrod bounds", .serialized, .timeLimit(.minutes(5)))
struct ServerBoundsTests {
    /// A client that sends bad rows and never reads the answers stops being read once its unread answers pass the
    /// bound: its sends block, instead of the server buffering answers without end. Other clients carry on.
    @Test func aClientThatNeverReadsStopsBeingRead() async throws {
        var limits = ServerLimits()
        limits.unsentAnswerBytes = 64 << 10
        // The server works through the backlog the client left (a loaded CI machine, a debug build): the second
        // client must not be cut by a deadline meanwhile.
        limits.helloTimeoutSeconds = 600
        limits.idleTimeoutSeconds = 600
        let harness = try await ServerHarness(limits: limits)
        let token = try harness.token(.gateway, "gw")
        let socket = try BlockingSocket(port: harness.ports.csv, sendTimeoutSeconds: 1)
        try socket.send(Array("AUTH \(token)\n\(StreamFixtures.header)\n".utf8))
        // Every row is refused, so every row is answered with an ERR line about as long as the row.
        let row = Array("GU1,not_an_event,2026-09-01T10:00:00Z,M,C,D,1,,,\n".utf8)
        let chunk = Array([[UInt8]](repeating: row, count: (64 << 10) / row.count).joined())
        let attempt = 96 << 20
        var sent = 0
        var stalls = 0
        while sent < attempt && stalls < 3 {
            let written = socket.sendSome(chunk)
            if written > 0 {
                sent += written
                stalls = 0
            } else {
                stalls += 1
            }
        }
        // Loopback socket buffers hold a few MiB at most; the rest would be in the server's memory.
        #expect(sent < 32 << 20, "the server read \(sent) bytes from a client that reads nothing")
        socket.close()

        let other = try await RawConnection(port: harness.ports.csv)
        try await other.send(Array("AUTH \(token)\n\(StreamFixtures.header)\nGU2,picked_up,2026-09-01T10:00:00Z,M,C,HH-2,1,,,\n".utf8))
        let answer = try await other.line()
        #expect(answer == "OK 1 0 0 0", "\(answer ?? "closed")")
        await other.close()
        try await harness.stop()
    }

    /// Before it authenticates, a binary connection may send only a hello-sized frame: a claimed 1 MiB frame is
    /// refused at its length, before a byte of it is buffered.
    @Test func framesBeforeAuthenticationAreHelloSized() async throws {
        let harness = try await ServerHarness()
        let connection = try await RawConnection(port: harness.ports.binary)
        try await connection.send([0x00, 0x10, 0x00, 0x00, FrameType.hello.rawValue] + [UInt8](repeating: 0, count: 1_000))
        let (type, payload) = try #require(try await connection.frame())
        #expect(type == .error)
        let error = try payload.withByteView { try ErrorFrame.decode($0) }
        #expect(error.code == .frameTooLarge, "\(error)")
        #expect(try await connection.frame() == nil)
        try await harness.stop()
    }

    /// A connection that never authenticates is closed after the hello timeout, on the binary and the CSV port,
    /// long before the idle timeout.
    @Test func aSilentConnectionIsClosedAfterTheHelloTimeout() async throws {
        var limits = ServerLimits()
        limits.helloTimeoutSeconds = 1
        let harness = try await ServerHarness(limits: limits)
        let binary = try await RawConnection(port: harness.ports.binary)
        let (type, payload) = try #require(try await binary.frame())
        #expect(type == .error)
        let error = try payload.withByteView { try ErrorFrame.decode($0) }
        #expect(error.code == .idleTimeout && error.message.contains("not authenticated within 1 s"), "\(error)")
        let csv = try await RawConnection(port: harness.ports.csv)
        #expect(try await csv.line() == "ERR 1 row not authenticated within 1 s")
        #expect(try await csv.line() == nil)
        try await harness.stop()
    }

    /// One address may hold only so many connections that have not authenticated; one that authenticates makes room.
    @Test func unauthenticatedConnectionsPerAddressAreBounded() async throws {
        var limits = ServerLimits()
        limits.unauthenticatedPerAddress = 3
        limits.connectionsPerAddress = 4
        let harness = try await ServerHarness(limits: limits)
        let token = try harness.token(.gateway, "gw")
        var silent: [RawConnection] = []
        for _ in 0..<3 { silent.append(try await RawConnection(port: harness.ports.binary)) }
        try await harness.waitForConnections(3)
        let refused = try await RawConnection(port: harness.ports.csv)
        #expect(try await refused.line() == "ERR 1 token 127.0.0.1 holds 3 connections that have not authenticated yet")
        // One of the silent ones authenticates: a new connection is taken, up to the per-address bound.
        #expect(try await silent[0].handshake(token: token)?.0 == .welcome)
        let fourth = try await RawConnection(port: harness.ports.binary)
        try await harness.waitForConnections(4)
        #expect(try await fourth.handshake(token: token)?.0 == .welcome)
        let fifth = try await RawConnection(port: harness.ports.binary)
        let (type, payload) = try #require(try await fifth.frame())
        #expect(type == .error)
        let error = try payload.withByteView { try ErrorFrame.decode($0) }
        #expect(error.code == .tooManyConnections && error.message == "127.0.0.1 holds 4 connections already", "\(error)")
        for connection in silent { await connection.close() }
        await fourth.close()
        try await harness.stop()
    }

    /// A sender trickling a byte at a time never looks idle; its frame or record is cut at the request deadline.
    @Test func aTricklingSenderIsCut() async throws {
        var limits = ServerLimits()
        limits.requestSeconds = 1
        let harness = try await ServerHarness(limits: limits)
        let token = try harness.token(.gateway, "gw")

        let binary = try await RawConnection(port: harness.ports.binary)
        #expect(try await binary.handshake(token: token)?.0 == .welcome)
        try await binary.send([0x00, 0x00, 0x01, 0x00, FrameType.batch.rawValue])
        let trickle = Task {
            for _ in 0..<40 {
                try await Task.sleep(for: .milliseconds(250))
                try await binary.send([0])
            }
        }
        let (type, payload) = try #require(try await binary.frame())
        trickle.cancel()
        #expect(type == .error)
        let error = try payload.withByteView { try ErrorFrame.decode($0) }
        #expect(error.code == .idleTimeout && error.message.contains("took longer than 1 s"), "\(error)")

        let csv = try await RawConnection(port: harness.ports.csv)
        try await csv.send(Array("AUTH \(token)\n\(StreamFixtures.header)\nGU1".utf8))
        let lineTrickle = Task {
            for _ in 0..<40 {
                try await Task.sleep(for: .milliseconds(250))
                try await csv.send(Array("1".utf8))
            }
        }
        #expect(try await csv.line() == "ERR 2 row a request took longer than 1 s to arrive")
        lineTrickle.cancel()
        try await harness.stop()
    }

    /// HTTP connections count toward the connection bound, and an idle keep-alive connection is closed.
    @Test func httpConnectionsCountAndIdleOnesClose() async throws {
        var limits = ServerLimits()
        limits.connections = 2
        limits.idleTimeoutSeconds = 1
        let harness = try await ServerHarness(limits: limits)
        let first = try await RawConnection(port: harness.ports.http)
        let second = try await RawConnection(port: harness.ports.http)
        try await harness.waitForConnections(2)
        try await first.send(Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        #expect(try await first.line() == "HTTP/1.1 200 OK\r")
        let third = try await RawConnection(port: harness.ports.binary)
        let (type, payload) = try #require(try await third.frame())
        #expect(type == .error)
        let error = try payload.withByteView { try ErrorFrame.decode($0) }
        #expect(error.code == .tooManyConnections, "\(error)")
        // Both HTTP connections are idle: the server closes them (the answer's lines, then the end).
        while try await first.line() != nil {}
        #expect(try await second.line() == nil)
        try await harness.stop()
    }

    /// `--line-bytes` bounds a CSV record on the CSV port and over HTTP (a 158-byte row against a 100-byte bound);
    /// the rows after it are read.
    @Test func theLineBoundAppliesToCSVRecords() async throws {
        var limits = ServerLimits()
        limits.lineBytes = 100
        let harness = try await ServerHarness(limits: limits)
        let token = try harness.token(.gateway, "gw")
        let long = "GU1,picked_up,2026-09-01T10:00:00Z,M,C,HH-1,1,,," + String(repeating: "x", count: 109) + "\n"
        let good = "GU2,picked_up,2026-09-01T10:00:00Z,M,C,HH-1,2,,,\n"
        #expect(long.utf8.count == 158)
        let csv = try await RawConnection(port: harness.ports.csv)
        try await csv.send(Array("AUTH \(token)\n\(StreamFixtures.header)\n\(long)\(good)".utf8))
        csv.finish()
        var lines: [String] = []
        while let line = try await csv.line() { lines.append(line) }
        #expect(lines == ["ERR 2 row the record is longer than 100 bytes", "OK 1 0 0 1"])
        let answer = try await RawConnection.post(
            port: harness.ports.http, authorization: "Bearer \(token)", body: StreamFixtures.header + "\n" + long)
        #expect(answer.last?.contains("longer than 100 bytes") == true, "\(answer)")
        try await harness.stop()
    }

    /// An address whose tokens keep failing is refused without a token check for the rest of the minute, on every
    /// port, and the audit trail records its first failure and the one that reached the bound, not every attempt.
    @Test func failedAuthenticationsAreThrottledAndCoalesced() async throws {
        var limits = ServerLimits()
        limits.failedAuthenticationsPerMinute = 3
        let harness = try await ServerHarness(limits: limits)
        let good = try harness.token(.gateway, "gw")
        var messages: [String] = []
        for _ in 0..<5 {
            let connection = try await RawConnection(port: harness.ports.binary)
            try await connection.send(.hello, Hello(session: 1, token: "rst_wrong", client: "guess").encode())
            let (_, payload) = try #require(try await connection.frame())
            messages.append(try payload.withByteView { try ErrorFrame.decode($0) }.message)
        }
        #expect(messages.prefix(3).allSatisfy { $0 == "unknown token" }, "\(messages)")
        #expect(messages.suffix(2).allSatisfy { $0.hasPrefix("too many failed authentications from 127.0.0.1") }, "\(messages)")
        // Throttled: even the good token waits, on every port.
        let csv = try await RawConnection(port: harness.ports.csv)
        try await csv.send(Array("AUTH \(good)\n".utf8))
        #expect(try await csv.line()?.hasPrefix("ERR 1 token too many failed authentications from 127.0.0.1") == true)
        let answer = try await RawConnection.post(port: harness.ports.http, authorization: "Bearer \(good)", body: StreamFixtures.header + "\n")
        #expect(answer.first == "HTTP/1.1 429 Too Many Requests\r", "\(answer)")
        #expect(answer.contains { $0.lowercased().hasPrefix("retry-after: ") })
        try await Task.sleep(for: .milliseconds(200))
        let refusals = try harness.server.store.auditRecords().filter { $0.kind == .refused }
        #expect(refusals.count == 2, "\(refusals.map(\.detail))")
        #expect(refusals.last?.detail.contains("3 failed authentications from 127.0.0.1 within a minute") == true)
        try await harness.stop()
    }
}

/// A blocking POSIX socket with a send timeout, for a client that writes and never reads (NIO's channels read).
final class BlockingSocket {
    let descriptor: Int32

    init(port: Int, sendTimeoutSeconds: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket: \(errno)") }
        var timeout = timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw SocketError("connect: \(errno)") }
    }

    /// Sends everything or throws.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withByteView { view in view.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) } }
            guard written > 0 else { throw SocketError("send: \(errno)") }
            offset += written
        }
    }

    /// Sends what the socket takes before its send timeout: 0 when it took nothing.
    func sendSome(_ bytes: [UInt8]) -> Int {
        let written = bytes.withByteView { view in view.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        return max(0, written)
    }

    func close() { _ = Glibc.close(descriptor) }
}

struct SocketError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
