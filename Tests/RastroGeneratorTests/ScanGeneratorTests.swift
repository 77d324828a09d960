import RastroCSV
import RastroCore
import RastroGenerator
import RastroTestSupport
import Testing

@Suite("Generator")
struct ScanGeneratorTests {
    static let rows = ScanGenerator(GeneratorConfiguration(scans: 30_000, seed: 3)).rows()

    static func parse(_ lines: [String]) -> (ScanBatch, [CSVRejection]) {
        StreamFixtures.parse(([StreamFixtures.header] + lines).joined(separator: "\n") + "\n")
    }

    @Test func theSameSeedGivesTheSameStream() {
        let again = ScanGenerator(GeneratorConfiguration(scans: 30_000, seed: 3)).rows()
        #expect(again.map(\.line) == Self.rows.map(\.line))
        let other = ScanGenerator(GeneratorConfiguration(scans: 30_000, seed: 4)).rows()
        #expect(other.map(\.line) != Self.rows.map(\.line))
    }

    @Test func itHasExactlyTheRequestedScansAndTheirLifecycles() {
        let scans = Self.rows.filter { $0.kind == .scan }.map(\.line)
        #expect(scans.count == 30_000)
        let (batch, rejects) = Self.parse(scans)
        #expect(rejects.isEmpty)
        #expect(batch.count == 30_000)
        let events = Dictionary(grouping: batch.scans, by: \.event).mapValues(\.count)
        #expect(Set(events.keys) == Set(Event.allCases))
        #expect(events[.delivered]! > events[.failedAttempt]!)
        #expect(batch.scans.filter { $0.event.requiresReason }.allSatisfy { $0.reason.length > 0 })
        // Company codes and three timestamp styles appear, as real gateways send them.
        #expect(scans.contains { $0.contains(",ENTREGADO,") } || scans.contains { $0.contains(",RECOGIDO,") })
        #expect(scans.contains { $0.contains("Z,") })
        #expect(scans.contains { $0.range(of: #",2026-\d\d-\d\d \d\d:"#, options: .regularExpression) != nil })
    }

    @Test func someHandheldsUploadHoursLate() {
        // Rows arrive in upload order; a late row is older than rows already sent before it by more than two hours.
        let (batch, _) = Self.parse(Self.rows.filter { $0.kind == .scan }.map(\.line))
        var newest: Int64 = 0
        var late = 0
        for scan in batch.scans {
            if scan.scannedAt < newest - 2 * 3_600_000 { late += 1 }
            newest = max(newest, scan.scannedAt)
        }
        #expect(late > 100)
    }

    @Test func resendsRepeatEarlierRowsAndConflictsReuseTheirKeys() {
        var seen = Set<String>()
        var keys: [String: String] = [:]
        for row in Self.rows {
            let fields = row.line.split(separator: ",", omittingEmptySubsequences: false)
            let key = fields[5] + "#" + fields[6]
            switch row.kind {
            case .scan:
                seen.insert(row.line)
                keys[String(key)] = row.line
            case .resend:
                #expect(seen.contains(row.line))
            case .conflict:
                #expect(keys[String(key)] != nil && keys[String(key)] != row.line)
            case .malformed:
                break
            }
        }
        #expect(Self.rows.contains { $0.kind == .resend })
    }

    @Test func malformedRowsAreEachRejectedByTheReader() {
        let malformed = Self.rows.filter { $0.kind == .malformed }.map(\.line)
        #expect(malformed.count > 20)
        let (batch, rejects) = Self.parse(malformed)
        #expect(batch.count == 0)
        #expect(rejects.count == malformed.count)
    }
}
