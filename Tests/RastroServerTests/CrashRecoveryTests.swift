import Foundation
import NIOCore
import NIOPosix
import RastroAccess
import RastroClient
import RastroCore
import RastroProtocol
import RastroStore
import RastroTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `rastrod` as a real process, killed with SIGKILL mid-stream: an acknowledgement must mean the scans are on disk.
@Suite("Crash recovery", .serialized, .tags(.endToEnd))
struct CrashRecoveryTests {
    static let binary = String(#filePath).components(separatedBy: "/Tests/").first! + "/.build/debug/rastrod"

    /// A port nothing listens on right now.
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    static func launch(data: String, ports: [Int], extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--data", data, "--binary-port", "\(ports[0])", "--csv-port", "\(ports[1])", "--http-port", "\(ports[2])",
            "--log-level", "warning",
        ] + extra
        try process.run()
        return process
    }

    /// Waits until the binary port accepts connections.
    static func waitForListener(_ port: Int) async throws {
        for _ in 0..<200 {
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get() {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SendFailure("rastrod did not start listening on \(port)")
    }

    @Test func everyAcknowledgedScanSurvivesSIGKILLAndRestart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build rastrod first (make test does)")
        let data = TemporaryDirectory()
        let token = try TokenVault.create(kind: .gateway, subject: "gw", store: Store(directory: data.path), now: 0).token
        let ports = [try await Self.freePort(), try await Self.freePort(), try await Self.freePort()]
        let generated = StreamFixtures.generated(scans: 30_000, seed: 17)
        let file = data.path + "/stream.csv"
        try (([StreamFixtures.header] + generated.all).joined(separator: "\n") + "\n").write(to: file)

        let server = Mutex<Process>(try Self.launch(data: data.path, ports: ports))
        try await Self.waitForListener(ports[0])
        let acknowledged = Mutex<[ScanBatch]>([])
        let acknowledgedScans = Atomic<Int>(0)
        let killed = Atomic<Bool>(false)
        var configuration = SendConfiguration(host: "127.0.0.1", port: ports[0], token: token, files: [file])
        configuration.connections = 2
        configuration.batchSize = 250
        configuration.backoffMilliseconds = (first: 20, maximum: 200)
        configuration.maximumAttempts = 1_000
        configuration.onAcknowledged = { batch, ack in
            acknowledged.withLock { $0.append(batch) }
            if acknowledgedScans.add(batch.count, ordering: .relaxed).newValue > 10_000,
                !killed.exchange(true, ordering: .relaxed)
            {
                // Mid-stream, with batches in flight: no graceful shutdown, no flush.
                server.withLock { kill($0.processIdentifier, SIGKILL) }
            }
        }
        let restarter = Task {
            while !killed.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(10)) }
            server.withLock { $0.waitUntilExit() }
            try await Task.sleep(for: .milliseconds(300))
            let restarted = try Self.launch(data: data.path, ports: ports)
            server.withLock { $0 = restarted }
        }
        let result = try await SendClient(configuration: configuration, validator: ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)).run()
        try await restarter.value
        server.withLock {
            $0.terminate()
            $0.waitUntilExit()
        }
        let wasKilled = killed.load(ordering: .relaxed)
        #expect(wasKilled)
        #expect(result.reconnections >= 1)
        #expect(result.accepted == generated.clean.count)

        let store = try Store(directory: data.path)
        #expect(try store.counters().accepted == UInt64(generated.clean.count))
        let batches = acknowledged.withLock { $0 }
        try store.read { reader in
            for batch in batches {
                for scan in batch.scans {
                    let trace = try reader.trace(batch.string(scan.trackingID)) ?? []
                    #expect(trace.contains { $0.device == batch.string(scan.device) && $0.seq == scan.seq }, "lost \(batch.string(scan.device))#\(scan.seq)")
                }
            }
        }
    }
}
