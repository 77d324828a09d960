import Foundation
import RastroClient
import RastroCore
import RastroProtocol
import RastroServer
import RastroAccess
import RastroStore
import RastroTestSupport
import Testing

/// Certificates made for one test by the `openssl` command (installed by `make deps`): two CAs, a server
/// certificate from each (for `localhost` and 127.0.0.1), and a client certificate from the first.
struct TestCertificates {
    let directory = TemporaryDirectory()

    var path: String { directory.path }
    func file(_ name: String) -> String { "\(directory.path)/\(name)" }

    init() throws {
        for ca in ["ca", "ca2"] {
            try openssl(
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                file("\(ca).key"), "-out", file("\(ca).pem"), "-subj", "/CN=Rastro test \(ca)", "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        }
        try issue("server", by: "ca", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        try issue("server2", by: "ca2", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        try issue("client", by: "ca", extensions: "extendedKeyUsage=clientAuth\n")
    }

    func issue(_ name: String, by ca: String, extensions: String) throws {
        try extensions.write(toFile: file("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", file("\(name).key"),
            "-out", file("\(name).csr"), "-subj", "/CN=\(name)")
        try openssl(
            "x509", "-req", "-in", file("\(name).csr"), "-CA", file("\(ca).pem"), "-CAkey", file("\(ca).key"),
            "-CAcreateserial", "-out", file("\(name).pem"), "-days", "2", "-extfile", file("\(name).ext"))
    }

    func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SocketError("openssl \(arguments.joined(separator: " ")) failed") }
    }
}

@Suite("rastrod over TLS", .serialized, .timeLimit(.minutes(2)))
struct TLSTests {
    static let validator = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)

    static func rows(_ count: Int, from first: Int = 1) -> String {
        ([StreamFixtures.header] + (first..<(first + count)).map {
            "GU\($0),picked_up,2026-09-01T10:00:00Z,M,C,HH-1,\($0),,,"
        }).joined(separator: "\n") + "\n"
    }

    /// `rastro send --tls --ca` stores scans over each of the three protocols, the certificate verified against the
    /// private CA; a client that trusts another CA is refused, and so is one that speaks plain text.
    @Test(arguments: SendConfiguration.Channel.allCases)
    func sendsOverTLSOnEveryPort(channel: SendConfiguration.Channel) async throws {
        let certificates = try TestCertificates()
        let harness = try await ServerHarness(
            tls: TLSFiles(certificate: certificates.file("server.pem"), key: certificates.file("server.key")))
        let token = try harness.token(.gateway, "gw")
        let file = certificates.file("scans.csv")
        try Self.rows(20).write(toFile: file, atomically: true, encoding: .utf8)
        let port = switch channel {
        case .binary: harness.ports.binary
        case .csv: harness.ports.csv
        case .http: harness.ports.http
        }
        var configuration = ServerEndToEndTests.sendConfiguration(port: port, token: token, files: [file])
        configuration.channel = channel
        configuration.tls = ClientTLS(caFile: certificates.file("ca.pem"))
        let result = try await SendClient(configuration: configuration, validator: Self.validator).run()
        #expect(result.accepted == 20)

        configuration.tls = ClientTLS(caFile: certificates.file("ca2.pem"))
        configuration.maximumAttempts = 2
        await #expect(throws: (any Error).self) { try await SendClient(configuration: configuration, validator: Self.validator).run() }
        #expect(try harness.server.store.counters().accepted == 20)
        try await harness.stop()
    }

    @Test func plainTextToATLSPortGetsNoAnswer() async throws {
        let certificates = try TestCertificates()
        let harness = try await ServerHarness(
            tls: TLSFiles(certificate: certificates.file("server.pem"), key: certificates.file("server.key")))
        let connection = try await RawConnection(port: harness.ports.binary)
        let token = try harness.token(.gateway, "gw")
        let answer = try? await connection.handshake(token: token)
        #expect(answer == nil || answer?.0 != .welcome)
        try await harness.stop()
    }

    /// With `--tls-client-ca`, a client without a certificate from that CA is refused; one with it sends.
    @Test func mutualTLSRequiresAClientCertificate() async throws {
        let certificates = try TestCertificates()
        let harness = try await ServerHarness(
            tls: TLSFiles(
                certificate: certificates.file("server.pem"), key: certificates.file("server.key"),
                clientCA: certificates.file("ca.pem")))
        let token = try harness.token(.gateway, "gw")
        let file = certificates.file("scans.csv")
        try Self.rows(5).write(toFile: file, atomically: true, encoding: .utf8)
        var configuration = ServerEndToEndTests.sendConfiguration(port: harness.ports.binary, token: token, files: [file])
        configuration.maximumAttempts = 2
        configuration.tls = ClientTLS(caFile: certificates.file("ca.pem"))
        await #expect(throws: (any Error).self) { try await SendClient(configuration: configuration, validator: Self.validator).run() }
        configuration.tls = ClientTLS(
            caFile: certificates.file("ca.pem"), certificate: certificates.file("client.pem"), key: certificates.file("client.key"))
        let result = try await SendClient(configuration: configuration, validator: Self.validator).run()
        #expect(result.accepted == 5)
        try await harness.stop()
    }

    /// A reload (what SIGHUP does) serves the certificate now in the files to new connections; a reload of files
    /// that do not load keeps the certificate being served.
    @Test func aReloadServesTheNewCertificate() async throws {
        let certificates = try TestCertificates()
        let served = TLSFiles(certificate: certificates.file("served.pem"), key: certificates.file("served.key"))
        try FileManager.default.copyItem(atPath: certificates.file("server.pem"), toPath: served.certificate)
        try FileManager.default.copyItem(atPath: certificates.file("server.key"), toPath: served.key)
        let harness = try await ServerHarness(tls: served)
        let token = try harness.token(.gateway, "gw")
        let file = certificates.file("scans.csv")
        try Self.rows(3).write(toFile: file, atomically: true, encoding: .utf8)
        var configuration = ServerEndToEndTests.sendConfiguration(port: harness.ports.binary, token: token, files: [file])
        configuration.maximumAttempts = 2
        configuration.tls = ClientTLS(caFile: certificates.file("ca2.pem"))
        await #expect(throws: (any Error).self) { try await SendClient(configuration: configuration, validator: Self.validator).run() }

        for name in ["pem", "key"] {
            try FileManager.default.removeItem(atPath: certificates.file("served.\(name)"))
            try FileManager.default.copyItem(atPath: certificates.file("server2.\(name)"), toPath: certificates.file("served.\(name)"))
        }
        try harness.server.reloadTLS()
        #expect(try await SendClient(configuration: configuration, validator: Self.validator).run().accepted == 3)

        try "not a certificate".write(toFile: served.certificate, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try harness.server.reloadTLS() }
        try Self.rows(3, from: 10).write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await SendClient(configuration: configuration, validator: Self.validator).run().accepted == 3)
        try await harness.stop()
    }

    /// The real thing: `rastrod` as a process, its certificate files replaced, then `kill -HUP`: new connections get
    /// the new certificate, without a restart.
    @Test func sighupReloadsTheCertificateOfARunningRastrod() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashRecoveryTests.binary), "build rastrod first (make test does)")
        let certificates = try TestCertificates()
        let data = certificates.file("data")
        let token = try TokenVault.create(kind: .gateway, subject: "gw", store: Store(directory: data), now: 0).token
        for name in ["pem", "key"] {
            try FileManager.default.copyItem(atPath: certificates.file("server.\(name)"), toPath: certificates.file("served.\(name)"))
        }
        let ports = [try await CrashRecoveryTests.freePort(), try await CrashRecoveryTests.freePort(), try await CrashRecoveryTests.freePort()]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CrashRecoveryTests.binary)
        process.arguments = [
            "--data", data, "--binary-port", "\(ports[0])", "--csv-port", "\(ports[1])", "--http-port", "\(ports[2])",
            "--log-level", "warning", "--tls-cert", certificates.file("served.pem"), "--tls-key", certificates.file("served.key"),
        ]
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        try await CrashRecoveryTests.waitForListener(ports[0])
        let file = certificates.file("scans.csv")
        try Self.rows(4).write(toFile: file, atomically: true, encoding: .utf8)
        var configuration = ServerEndToEndTests.sendConfiguration(port: ports[0], token: token, files: [file])
        configuration.maximumAttempts = 1
        configuration.tls = ClientTLS(caFile: certificates.file("ca2.pem"))
        // Served by the first CA: a client trusting only the second refuses it.
        await #expect(throws: (any Error).self) { try await SendClient(configuration: configuration, validator: Self.validator).run() }

        for name in ["pem", "key"] {
            try FileManager.default.removeItem(atPath: certificates.file("served.\(name)"))
            try FileManager.default.copyItem(atPath: certificates.file("server2.\(name)"), toPath: certificates.file("served.\(name)"))
        }
        #expect(kill(process.processIdentifier, SIGHUP) == 0)
        // The reload runs on the server's signal task: retry until it has (each try is one handshake).
        var accepted: Int? = nil
        for _ in 0..<100 where accepted == nil {
            accepted = try? await SendClient(configuration: configuration, validator: Self.validator).run().accepted
            if accepted == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(accepted == 4)
        #expect(process.isRunning)
    }
}

