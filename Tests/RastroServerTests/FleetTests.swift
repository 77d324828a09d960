import RastroAccess
import RastroClient
import RastroCore
import RastroServer
import RastroStore
import RastroTestSupport
import Testing

/// `rastro fleet` against a real server: every handheld connects under its own device id, every acknowledged scan is
/// stored, and the report counts exactly what the server acknowledged.
@Suite(.serialized)
struct FleetTests {
    @Test func aFleetsAcknowledgedScansAreExactlyTheStoredOnes() async throws {
        var limits = ServerLimits()
        limits.connectionsPerAddress = 64
        limits.unauthenticatedPerAddress = 64
        let harness = try await ServerHarness(limits: limits)
        let token = try harness.token(.gateway, "fleet")
        let rows = StreamFixtures.generated(scans: 2_000, seed: 41).clean
        let pool = Fleet.pool(rows: rows, validator: try harness.server.store.validator())
        #expect(pool.count == rows.count, "every valid row is in the pool")

        var configuration = FleetConfiguration(host: "127.0.0.1", port: harness.ports.binary, token: token)
        configuration.handhelds = 40
        configuration.batch = 5
        configuration.everySeconds = 0.2
        // Bounded by work, not time: however the test's threads are scheduled, each handheld sends three batches.
        configuration.seconds = 3_600
        configuration.batchesPerHandheld = 3
        configuration.devicePrefix = "HH-F"
        let report = await Fleet.run(configuration, pool: pool)
        #expect(report.errors == 0)
        #expect(report.connected == 40)
        #expect(report.batches == 120)
        #expect(report.scans == 600)
        #expect(report.accepted == report.scans, "own devices and sequences: nothing is a duplicate or a conflict")
        #expect(report.latency.totalCount == UInt64(report.batches))
        #expect(try harness.server.store.counters().accepted == UInt64(report.accepted))
        let devices = try harness.server.store.read { reader in try (1...40).filter { try reader.id(.device, "HH-F\($0 - 1)") != nil } }
        #expect(devices.count == 40)
        #expect(report.summary.hasPrefix("40 handhelds: "), "\(report.summary)")
        #expect(report.summary.hasSuffix(", 0 errors"))
        try await harness.stop()
    }
}
