import Foundation
import Logging
import NIOCore
import RastroAccess
import RastroClient
import RastroCore
import RastroPrimitives
import RastroProtocol
import RastroServer
import RastroStore
import RastroTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("rastrod end to end", .serialized)
struct ServerEndToEndTests {
    /// A generated stream written to a file, with the unique scans it holds.
    static func stream(scans: Int, seed: UInt64, in directory: TemporaryDirectory) throws -> (path: String, generated: (all: [String], clean: [String], resends: Int, conflicts: Int)) {
        let generated = StreamFixtures.generated(scans: scans, seed: seed)
        let path = directory.path + "/stream-\(seed).csv"
        try (([StreamFixtures.header] + generated.all).joined(separator: "\n") + "\n").write(to: path)
        return (path, generated)
    }

    static func sendConfiguration(port: Int, token: String, files: [String]) -> SendConfiguration {
        var configuration = SendConfiguration(host: "127.0.0.1", port: port, token: token, files: files)
        configuration.backoffMilliseconds = (first: 5, maximum: 200)
        configuration.maximumAttempts = 1_000
        return configuration
    }

    /// What a store holds, compared by name with a store that ingested the unique scans directly.
    static func expectSameContent(_ store: Store, clean: [String]) throws {
        let reference = TemporaryDirectory()
        let referenceStore = try Store(directory: reference.path)
        _ = try referenceStore.ingest(StreamFixtures.batch(clean))
        let got = try IndexDump.of(store)
        let expected = try IndexDump.of(referenceStore)
        #expect(got.cells == expected.cells)
        #expect(got.durations == expected.durations)
        #expect(got.current == expected.current)
        #expect(got.seqs == expected.seqs)
        #expect(try store.counters().accepted == UInt64(clean.count))
        let batch = StreamFixtures.batch(clean)
        let names = Set(batch.scans.map { batch.string($0.trackingID) })
        try store.read { reader in
            try referenceStore.read { referenceReader in
                for name in names {
                    let got = try reader.trace(name)?.map { "\($0.scannedAt) \($0.event) \($0.device) \($0.seq) \($0.messenger) \($0.reason ?? "-") \($0.latitude ?? 0)" }
                    let expected = try referenceReader.trace(name)?.map { "\($0.scannedAt) \($0.event) \($0.device) \($0.seq) \($0.messenger) \($0.reason ?? "-") \($0.latitude ?? 0)" }
                    #expect(got?.sorted() == expected?.sorted(), "\(name)")
                    // The server's receive times are whole seconds (what lets a block's batches share them).
                    #expect(try reader.trace(name)?.allSatisfy { $0.receivedAt % 1_000 == 0 } == true, "\(name)")
                }
            }
        }
    }

    @Test(.tags(.endToEnd)) func severalConnectionsThroughDroppedConnectionsStoreExactlyTheUniqueScans() async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let files = TemporaryDirectory()
        let (path, generated) = try Self.stream(scans: 15_000, seed: 21, in: files)
        // Cut the first dozen connections after 2–60 KB each: mid-batch, mid-frame.
        let proxy = try await ChaosProxy(target: harness.ports.binary, cutBetween: 2_000...60_000, cutFirst: 12)
        var configuration = Self.sendConfiguration(port: proxy.port, token: token, files: [path])
        configuration.connections = 4
        configuration.batchSize = 300
        let result = try await SendClient(configuration: configuration, validator: ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)).run()
        #expect(proxy.cuts.load(ordering: .relaxed) >= 4)
        #expect(result.reconnections >= 4)
        // Answers are counted once per batch, replayed or not: the totals are exact.
        #expect(result.accepted == generated.clean.count)
        #expect(result.duplicates == generated.resends)
        #expect(result.conflicts == generated.conflicts)
        try Self.expectSameContent(harness.server.store, clean: generated.clean)
        await proxy.close()
        try await harness.stop()
    }

    @Test func aResentBatchGetsTheSameAnswer() async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let batch = StreamFixtures.batch(Array(StreamFixtures.generated(scans: 200, seed: 3).clean.prefix(50)))
        var answers: [[UInt8]] = []
        for _ in 0..<2 {
            // A new connection each time, same session: what a handheld does after a lost acknowledgement.
            let connection = try await RawConnection(port: harness.ports.binary)
            #expect(try await connection.handshake(token: token, session: 77)?.0 == .welcome)
            var encoder = BatchEncoder()
            let writer = ByteWriter()
            encoder.encode(batch, 0..<batch.count, number: 5, into: writer)
            try await connection.send(.batch, writer.bytes)
            let (type, payload) = try #require(try await connection.frame())
            #expect(type == .ack)
            answers.append(payload)
            await connection.close()
        }
        #expect(answers[0] == answers[1])
        let ack = try answers[0].withByteView { try Ack.decode($0) }
        #expect(ack.batch == 5 && ack.accepted == 50 && ack.duplicates == 0)
        try await harness.stop()
    }

    enum BadFrame: String, CaseIterable, Sendable {
        case badChecksum, oversize, truncated, unknownVersion, notRastro, batchBeforeHello, unknownToken, analystToken, revokedToken
    }

    @Test(arguments: BadFrame.allCases)
    func badFramesAndTokensGetTheirErrors(kind: BadFrame) async throws {
        var limits = ServerLimits()
        limits.frameBytes = 10_000
        let harness = try await ServerHarness(limits: limits)
        let gateway = try harness.token(.gateway, "gw")
        let connection = try await RawConnection(port: harness.ports.binary)
        let expected: ProtocolErrorCode
        switch kind {
        case .badChecksum:
            #expect(try await connection.handshake(token: gateway)?.0 == .welcome)
            var frame = Frame.encode(.batch, payload: [1, 0, 0])
            frame[frame.count - 1] ^= 0xFF
            try await connection.send(frame)
            expected = .badChecksum
        case .oversize:
            #expect(try await connection.handshake(token: gateway)?.0 == .welcome)
            try await connection.send([0, 1, 0, 0, 0x10])
            expected = .frameTooLarge
        case .truncated:
            #expect(try await connection.handshake(token: gateway)?.0 == .welcome)
            try await connection.send(Array(Frame.encode(.batch, payload: [1, 0, 0]).dropLast(2)))
            connection.finish()
            expected = .malformedFrame
        case .unknownVersion:
            var hello = Hello(session: 1, token: gateway, client: "test").encode()
            hello[4] = 9
            try await connection.send(.hello, hello)
            expected = .unsupportedVersion
        case .notRastro:
            try await connection.send(.hello, Array("GET / HTTP/1.1\r\n".utf8))
            expected = .notRastro
        case .batchBeforeHello:
            try await connection.send(.batch, [1, 0, 0])
            expected = .unexpectedFrame
        case .unknownToken:
            try await connection.send(.hello, Hello(session: 1, token: "rst_0000", client: "test").encode())
            expected = .unauthorized
        case .analystToken:
            try await connection.send(.hello, Hello(session: 1, token: try harness.token(.analyst, "ana"), client: "test").encode())
            expected = .forbidden
        case .revokedToken:
            let (id, token) = try TokenVault.create(kind: .gateway, subject: "old", store: harness.server.store, now: 0)
            _ = try harness.server.store.revokeToken(id: id, now: 1)
            try await connection.send(.hello, Hello(session: 1, token: token, client: "test").encode())
            expected = .unauthorized
        }
        let (type, payload) = try #require(try await connection.frame())
        #expect(type == .error)
        let error = try payload.withByteView { try ErrorFrame.decode($0) }
        #expect(error.code == expected, "\(error)")
        #expect(try await connection.frame() == nil, "the server closes after an error")
        // Nothing was stored; a refused token is in the audit trail, without the token.
        #expect(try harness.server.store.counters().accepted == 0)
        if kind == .unknownToken || kind == .analystToken || kind == .revokedToken {
            try await Task.sleep(for: .milliseconds(100))
            let refusals = try harness.server.store.auditRecords().filter { $0.kind == .refused }
            #expect(refusals.count == 1)
            #expect(refusals.allSatisfy { !$0.detail.contains("rst_") })
        }
        try await harness.stop()
    }

    @Test func aDeviceTokenMaySendOnlyItsOwnDevicesScans() async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.device, "HH-1")
        let connection = try await RawConnection(port: harness.ports.binary)
        #expect(try await connection.handshake(token: token)?.0 == .welcome)
        let t: Int64 = 1_788_274_800_000  // 2026-09-01, before the server's clock.
        var batch = ScanBatch()
        batch.append(trackingID: "GU1", event: .pickedUp, scannedAt: t, messenger: "M", workCenter: "C", device: "HH-1", seq: 1)
        batch.append(trackingID: "GU2", event: .pickedUp, scannedAt: t, messenger: "M", workCenter: "C", device: "HH-2", seq: 1)
        batch.append(trackingID: "GU3", event: .pickedUp, scannedAt: t, messenger: "M", workCenter: "C", device: "HH-1", seq: 2)
        var encoder = BatchEncoder()
        let writer = ByteWriter()
        encoder.encode(batch, 0..<3, number: 1, into: writer)
        try await connection.send(.batch, writer.bytes)
        let (_, payload) = try #require(try await connection.frame())
        let ack = try payload.withByteView { try Ack.decode($0) }
        #expect(ack.accepted == 2 && ack.rejected == 1)
        #expect(ack.problems.map(\.index) == [1])
        #expect(ack.problems.first?.code == .forbiddenDevice)
        #expect(try harness.server.store.read { try $0.trace("GU2") }.map { _ in true } == nil)
        #expect(try harness.server.store.read { try $0.trace("GU3") }?.count == 1)
        await connection.close()
        try await harness.stop()
    }

    /// A token revoked while its connection is open stops being honoured at the next batch, on the binary and the CSV
    /// port: the batch is refused and not stored, and the connection is closed with an error.
    @Test func revocationBitesAnOpenConnection() async throws {
        var limits = ServerLimits()
        limits.revocationCheckMilliseconds = 0
        let harness = try await ServerHarness(limits: limits)
        let store = harness.server.store
        let t: Int64 = 1_788_274_800_000  // 2026-09-01, before the server's clock.

        let binary = try TokenVault.create(kind: .gateway, subject: "gw-binary", store: store, now: 0)
        let connection = try await RawConnection(port: harness.ports.binary)
        #expect(try await connection.handshake(token: binary.token)?.0 == .welcome)
        var encoder = BatchEncoder()  // One per connection: later batches refer to identifiers sent before.
        func send(_ number: UInt64, _ trackingID: String) async throws {
            var batch = ScanBatch()
            batch.append(trackingID: trackingID, event: .pickedUp, scannedAt: t, messenger: "M", workCenter: "C", device: "HH-1", seq: number)
            let writer = ByteWriter()
            encoder.encode(batch, 0..<1, number: number, into: writer)
            try await connection.send(.batch, writer.bytes)
        }
        try await send(1, "GU1")
        #expect(try await connection.frame()?.0 == .ack)
        _ = try store.revokeToken(id: binary.id, now: 1)
        try await send(2, "GU2")
        let (type, payload) = try #require(try await connection.frame())
        #expect(type == .error)
        let refusal = try payload.withByteView { try ErrorFrame.decode($0) }
        #expect(refusal.code == .unauthorized, "\(refusal)")
        #expect(try store.read { try $0.trace("GU2") } == nil)

        let csv = try TokenVault.create(kind: .gateway, subject: "gw-csv", store: store, now: 0)
        let lines = try await RawConnection(port: harness.ports.csv)
        try await lines.send(Array("AUTH \(csv.token)\n\(StreamFixtures.header)\nGU3,picked_up,2026-09-01T10:00:00Z,M,C,HH-2,1,,,\n".utf8))
        #expect(try await lines.line() == "OK 1 0 0 0")
        _ = try store.revokeToken(id: csv.id, now: 1)
        try await lines.send(Array("GU4,picked_up,2026-09-01T10:00:00Z,M,C,HH-2,2,,,\n".utf8))
        #expect(try await lines.line() == "ERR 0 token token \(csv.id) was revoked")
        #expect(try await lines.line() == nil)
        #expect(try store.read { try $0.trace("GU4") } == nil)
        try await harness.stop()
    }

    /// A field's text is echoed in its `ERR` line with line ends and other control bytes escaped, so a client cannot
    /// be shown a forged answer line.
    @Test func anEchoedFieldCannotForgeAnAnswerLine() async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let connection = try await RawConnection(port: harness.ports.csv)
        let text = "AUTH \(token)\n\(StreamFixtures.header)\n"
            + "GU1,\"picked_up\nOK 999 0 0 0\r\u{1B}[2K\",2026-09-01T10:00:00Z,M,C,D,1,,,\n"
        try await connection.send(Array(text.utf8))
        connection.finish()
        var lines: [String] = []
        while let line = try await connection.line() { lines.append(line) }
        #expect(lines == [#"ERR 2 event 'picked_up\nOK 999 0 0 0\r\x1b[2K' is not a known event code"#, "OK 0 0 0 1"])
        try await harness.stop()
    }

    @Test func theCSVLineProtocolAnswersEachBatchAndClosesAtTheEnd() async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let rows = StreamFixtures.generated(scans: 30, seed: 5).clean
        let connection = try await RawConnection(port: harness.ports.csv)
        let text = "AUTH \(token)\n\(StreamFixtures.header)\n" + rows.joined(separator: "\n") + "\nGU1,teleported,2026-09-01T10:00:00Z,M,C,D,1,,,"
        try await connection.send(Array(text.utf8))
        connection.finish()
        var lines: [String] = []
        while let line = try await connection.line() { lines.append(line) }
        #expect(lines.contains("ERR 32 event 'teleported' is not a known event code"))
        let totals = lines.filter { $0.hasPrefix("OK ") }.map { $0.split(separator: " ").dropFirst().compactMap { Int($0) } }
        #expect(totals.reduce(0) { $0 + $1[0] } == 30)
        #expect(totals.reduce(0) { $0 + $1[3] } == 1)
        let refused = try await RawConnection(port: harness.ports.csv)
        try await refused.send(Array("AUTH rst_nope\n".utf8))
        #expect(try await refused.line() == "ERR 1 token unknown token")
        #expect(try await refused.line() == nil)
        try await harness.stop()
    }

    /// A second server on the same data directory is refused, naming the first one's pid; the lock goes with the
    /// server that held it.
    @Test func aSecondServerOnTheSameDirectoryIsRefused() async throws {
        let harness = try await ServerHarness()
        var configuration = ServerConfiguration(dataDirectory: harness.directory.path)
        configuration.binaryPort = 0
        configuration.csvPort = 0
        configuration.httpPort = 0
        #expect {
            _ = try RastroServer(configuration: configuration, logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("another rastrod is serving \(harness.directory.path) (pid \(getpid()))")
        }
        try await harness.stop()
        let other = TemporaryDirectory()
        var lock: DirectoryLock? = try DirectoryLock(directory: other.path)
        #expect(throws: DirectoryLock.Held.self) { _ = try DirectoryLock(directory: other.path) }
        lock = nil
        _ = lock
        _ = try DirectoryLock(directory: other.path)
    }

    /// An answer lists at most `answerErrors` refused rows, the first by line, and counts the rest: a body of bad
    /// rows cannot make an answer larger than itself.
    @Test func anAnswerListsABoundedNumberOfErrors() async throws {
        var limits = ServerLimits()
        limits.answerErrors = 100
        let harness = try await ServerHarness(limits: limits)
        let token = try harness.token(.gateway, "gw")
        let rows = (0..<250).map { "GU\($0),picked_up,not-a-time,M1,BOG-CEN,DEV-1,\($0),,," }
        let body = ([StreamFixtures.header] + rows + ["GV1,picked_up,2026-09-01T10:00:00Z,M1,BOG-CEN,DEV-2,1,,,"])
            .joined(separator: "\n") + "\n"
        let lines = try await RawConnection.post(port: harness.ports.http, authorization: "Bearer \(token)", body: body)
        let json = try #require(lines.last { $0.hasPrefix("{") })
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let errors = try #require(answer["errors"] as? [[String: Any]])
        #expect(answer["accepted"] as? Int == 1 && answer["rejected"] as? Int == 250)
        #expect(errors.count == 100 && answer["errors_omitted"] as? Int == 150)
        #expect(errors.compactMap { $0["line"] as? Int } == Array(2...101))
        try await harness.stop()
    }

    /// A body that is not CSV is 415, an empty one 400, each as a problem document naming what was wrong.
    @Test(arguments: [
        ("application/json", "{}", "415", "the body must be CSV"),
        ("text/csv", "", "400", "the body is empty"),
    ])
    func badBodiesAnswerWithAProblemDocument(type: String, body: String, status: String, detail: String) async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let lines = try await RawConnection.post(
            port: harness.ports.http, authorization: "Bearer \(token)", contentType: type, body: body)
        #expect(lines.first?.hasPrefix("HTTP/1.1 \(status)") == true)
        #expect(lines.contains { $0.lowercased().hasPrefix("content-type: application/problem+json") })
        #expect(lines.contains { $0.contains("\"status\":\(status)") && $0.contains(detail) && $0.contains("\"type\":\"about:blank\"") })
        #expect(try harness.server.store.counters().accepted == 0)
        try await harness.stop()
    }

    /// The authentication scheme is case-insensitive (`bearer`, `BEARER`); a missing token or another scheme is 401.
    @Test(arguments: [("bearer", "200"), ("BEARER", "200"), ("Bearer", "200"), ("Basic", "401")])
    func theBearerSchemeIsCaseInsensitive(scheme: String, status: String) async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let body = "\(StreamFixtures.header)\nGU1,picked_up,2026-09-01T10:00:00Z,M1,BOG-CEN,DEV-1,1,,,\n"
        let lines = try await RawConnection.post(port: harness.ports.http, authorization: "\(scheme) \(token)", body: body)
        #expect(lines.first?.hasPrefix("HTTP/1.1 \(status)") == true)
        try await harness.stop()
    }

    @Test func httpPostsHealthAndMetrics() async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let files = TemporaryDirectory()
        let rows = StreamFixtures.generated(scans: 40, seed: 6).clean
        try ([StreamFixtures.header] + rows + ["GU1,delivered,2026-09-01T10:00:00Z,,C,D,9,,,"]).joined(separator: "\n").write(to: files.path + "/s.csv")
        var configuration = Self.sendConfiguration(port: harness.ports.http, token: token, files: [files.path + "/s.csv"])
        configuration.channel = .http
        let result = try await SendClient(configuration: configuration, validator: ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)).run()
        #expect(result.accepted == 40 && result.rejected == 1)
        let metrics = harness.server.metrics.exposition()
        #expect(metrics.contains("rastro_scans_accepted_total 40"))
        #expect(metrics.contains("rastro_commit_seconds"))
        #expect(metrics.contains("rastro_writer_queue_scans"))
        configuration.token = "rst_wrong"
        await #expect(throws: SendFailure.self) {
            _ = try await SendClient(configuration: configuration, validator: ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)).run()
        }
        try await harness.stop()
    }

    @Test func oneConnectionTooManyIsRefusedAndTheOthersCarryOn() async throws {
        var limits = ServerLimits()
        limits.connections = 1
        let harness = try await ServerHarness(limits: limits)
        let token = try harness.token(.gateway, "gw")
        let first = try await RawConnection(port: harness.ports.binary)
        #expect(try await first.handshake(token: token)?.0 == .welcome)
        let second = try await RawConnection(port: harness.ports.binary)
        let (type, payload) = try #require(try await second.frame())
        #expect(type == .error)
        #expect(try payload.withByteView { try ErrorFrame.decode($0) }.code == .tooManyConnections)
        var encoder = BatchEncoder()
        let writer = ByteWriter()
        let batch = StreamFixtures.batch(Array(StreamFixtures.generated(scans: 20, seed: 1).clean.prefix(5)))
        encoder.encode(batch, 0..<batch.count, number: 1, into: writer)
        try await first.send(.batch, writer.bytes)
        #expect(try await first.frame()?.0 == .ack)
        await first.close()
        try await harness.stop()
    }

    @Test func gracefulShutdownAcknowledgesWhatWasReceived() async throws {
        let harness = try await ServerHarness()
        let token = try harness.token(.gateway, "gw")
        let connection = try await RawConnection(port: harness.ports.binary)
        #expect(try await connection.handshake(token: token)?.0 == .welcome)
        var encoder = BatchEncoder()
        let rows = StreamFixtures.generated(scans: 400, seed: 2).clean
        let batch = StreamFixtures.batch(rows)
        for (number, start) in stride(from: 0, to: batch.count, by: 100).enumerated() {
            let writer = ByteWriter()
            encoder.encode(batch, start..<min(start + 100, batch.count), number: UInt64(number + 1), into: writer)
            try await connection.send(.batch, writer.bytes)
        }
        try await Task.sleep(for: .milliseconds(50))
        async let stopped: Void = harness.stop()
        var acked = 0
        while let (type, payload) = try await connection.frame() {
            #expect(type == .ack)
            acked += try payload.withByteView { try Ack.decode($0) }.accepted
        }
        try await stopped
        #expect(acked == rows.count)
        #expect(try harness.server.store.counters().accepted == UInt64(rows.count))
    }
}
