import Foundation
import RastroAnalytics
import RastroCore
import RastroGenerator
import RastroStore
import RastroTestSupport
import Testing

/// Every report against the naive answer from the raw rows, on a generated stream uploaded completely out of order
/// with resends and conflicts, over windows of whole days, cut days, one cut day, exact scan instants and nothing.
@Suite("Analytics against a naive oracle")
struct AnalyticsOracleTests {
    /// One store for the suite: 8,000 scans with the generator's resends and conflicts, shuffled, in random batches.
    final class Fixture: Sendable {
        let directory = TemporaryDirectory()
        let store: Store
        let naive: NaiveAnalytics
        let windows: [(name: String, from: Int64?, to: Int64?)]

        init() {
            let generated = StreamFixtures.generated(scans: 8_000, seed: 21)
            let arrival = shuffled(generated.all, seed: 77)
            naive = NaiveAnalytics(arrivalOrder: arrival)
            store = try! Store(directory: directory.path, timeZone: "America/Bogota")
            var start = 0
            var random = SplitMix(seed: 5)
            while start < arrival.count {
                let end = min(arrival.count, start + 1 + random.below(700))
                _ = try! store.ingest(StreamFixtures.batch(Array(arrival[start..<end])))
                start = end
            }
            var zone = SiteTimeZone(identifier: "America/Bogota")!
            let times = naive.scans.map(\.time).sorted()
            let firstDay = zone.day(ofUTC: times[0])
            let midnight = { (offset: Int32) in zone.startOfDay(firstDay + offset) }
            let hour: Int64 = 3_600_000
            windows = [
                ("everything", nil, nil),
                ("whole days", midnight(3), midnight(10)),
                ("cut days", midnight(2) + 10 * hour + 17_000, midnight(9) + 15 * hour + 30 * 60_000),
                ("one cut day", midnight(5) + 9 * hour, midnight(5) + 16 * hour + 1),
                ("exact scan instants", times[times.count / 5], times[times.count / 2]),
                ("only a start", midnight(20) + 12 * hour, nil),
                ("only an end", nil, midnight(4) + 6 * hour),
                ("nothing", midnight(4000), midnight(4001)),
            ]
        }
    }

    static let fixture = Fixture()
    static let windowNames = fixture.windows.map(\.name)

    func window(_ name: String) -> TimeWindow {
        let entry = Self.fixture.windows.first { $0.name == name }!
        return TimeWindow(from: entry.from, to: entry.to)
    }

    @Test func theStoreKeptWhatTheOracleKept() throws {
        #expect(try Self.fixture.store.counters().accepted == UInt64(Self.fixture.naive.scans.count))
    }

    @Test(arguments: windowNames)
    func productivityByMessengerAndWorkCentre(window name: String) throws {
        let window = window(name)
        let naive = Self.fixture.naive
        for (by, byMessenger) in [(GroupBy.messenger, true), (.workCenter, false)] {
            for bucket in Bucket.allCases {
                let rows = try Self.fixture.store.read { try ProductivityReport(by: by, bucket: bucket, window: window).run($0) }
                let got = rows.map { row in
                    NaiveAnalytics.ProductivityLine(
                        key: row.key, bucket: row.bucket, scans: row.productivity.scans, pickedUp: row.productivity.pickedUp,
                        delivered: row.productivity.delivered, failed: row.productivity.failedAttempts,
                        returned: row.productivity.returned, activeMilliseconds: row.productivity.activeMilliseconds)
                }
                let expected = naive.productivity(byMessenger: byMessenger, bucket: bucket.rawValue, from: window.from, to: window.to)
                #expect(got == expected, "\(name) by \(by) per \(bucket)")
            }
        }
        // One centre only: a messenger's scans elsewhere do not count.
        let center = naive.scans[0].center
        let rows = try Self.fixture.store.read { try ProductivityReport(by: .messenger, center: center, window: window).run($0) }
        let expected = naive.productivity(byMessenger: true, center: center, from: window.from, to: window.to)
        #expect(rows.map(\.key) == expected.map(\.key))
        #expect(rows.map(\.productivity.scans) == expected.map(\.scans))
        #expect(rows.map(\.productivity.activeMilliseconds) == expected.map(\.activeMilliseconds))
    }

    @Test(arguments: windowNames)
    func durationsAreWithinTheDocumentedErrorOfTheExactNearestRank(window name: String) throws {
        let window = window(name)
        let naive = Self.fixture.naive
        let pairs: [(Event, Event)] = [(.pickedUp, .delivered), (.received, .outForDelivery), (.outForDelivery, .delivered), (.failedAttempt, .returned), (.delivered, .pickedUp)]
        for (a, b) in pairs {
            for by in [GroupBy?.none, .workCenter, .messenger] {
                let rows = try Self.fixture.store.read { try DurationReport(from: a, to: b, by: by, window: window).run($0) }
                let key: ((NaiveAnalytics.Scan) -> String)? =
                    switch by {
                    case .messenger: { $0.messenger }
                    case .workCenter: { $0.center }
                    default: nil
                    }
                let expected = naive.durations(from: a, to: b, key: key, from: window.from, to: window.to)
                #expect(rows.map { $0.key ?? "" } == expected.keys.sorted(), "\(name) \(a.code)→\(b.code) by \(String(describing: by))")
                for row in rows {
                    let exact = try #require(expected[row.key ?? ""])
                    #expect(row.count == Int64(exact.count))
                    for (p, reported) in [(50, row.p50), (90, row.p90), (99, row.p99), (100, row.max)] {
                        let value = NaiveAnalytics.nearestRank(p, exact)
                        // docs/storage.md §5.6: a bin's midpoint is within value/128 of any value in the bin.
                        #expect(Double(abs(reported - value)) <= Double(value) / 128, "p\(p) \(reported) vs exact \(value)")
                    }
                }
            }
        }
    }

    @Test(arguments: windowNames)
    func returnsByReasonMessengerAndWorkCentre(window name: String) throws {
        let window = window(name)
        let naive = Self.fixture.naive
        let keys: [(GroupBy, (NaiveAnalytics.Scan) -> String?)] = [(.reason, { $0.reason }), (.messenger, { $0.messenger }), (.workCenter, { $0.center })]
        for (by, key) in keys {
            let rows = try Self.fixture.store.read { try ReturnsReport(by: by, window: window).run($0) }
            let expected = naive.returns(key: key, from: window.from, to: window.to)
            #expect(rows.map { $0.key ?? "<none>" } == expected.keys.sorted(), "\(name) by \(by)")
            for row in rows {
                let entry = expected[row.key ?? "<none>"]
                #expect(entry?.0 == row.failedAttempts && entry?.1 == row.returned, "\(name) by \(by): \(row)")
            }
        }
    }

    static var instants: [Int64] {
        let times = fixture.naive.scans.map(\.time).sorted()
        var zone = SiteTimeZone(identifier: "America/Bogota")!
        return [
            times[0], times[1], times[times.count / 3], times[times.count / 3] + 1, zone.startOfDay(zone.day(ofUTC: times[times.count / 2])),
            times[times.count - 1], times[times.count - 1] + 1, Int64(2_000_000_000_000),
        ]
    }

    @Test(arguments: instants)
    func statesAtAnInstant(at: Int64) throws {
        let naive = Self.fixture.naive
        let rows = try Self.fixture.store.read { try StateReport(at: at).run($0) }
        var got: [String: Int] = [:]
        for row in rows { got[row.workCenter + " " + row.event.code] = Int(row.count) }
        #expect(got == naive.states(at: at))
        let center = naive.scans[1].center
        let filtered = try Self.fixture.store.read { try StateReport(center: center, at: at).run($0) }
        #expect(filtered.allSatisfy { $0.workCenter == center })
        #expect(filtered.reduce(0) { $0 + Int($1.count) } == naive.states(at: at, center: center).values.reduce(0, +))
    }

    @Test(arguments: instants)
    func overdueItemsAtAnInstant(at: Int64) throws {
        let naive = Self.fixture.naive
        for (event, hours) in [(Event.outForDelivery, Int64(8)), (.received, 24), (.failedAttempt, 1), (.pickedUp, 0), (.delivered, 240)] {
            let older = hours * 3_600_000
            let rows = try Self.fixture.store.read { try OverdueReport(event: event, olderThanMilliseconds: older, at: at).run($0) }
            let expected = naive.overdue(event: event, olderThan: older, at: at)
            #expect(rows.map(\.trackingID) == expected.map(\.0), "\(event.code) older than \(hours) h at \(at)")
            #expect(rows.map(\.scannedAt) == expected.map(\.1))
            #expect(rows.allSatisfy { $0.ageMilliseconds == at - $0.scannedAt && $0.event == event })
        }
        let center = naive.scans[2].center
        let rows = try Self.fixture.store.read { try OverdueReport(event: .received, olderThanMilliseconds: 0, at: at, center: center).run($0) }
        #expect(rows.map(\.trackingID) == naive.overdue(event: .received, olderThan: 0, at: at, center: center).map(\.0))
    }

    @Test(arguments: windowNames)
    func compareRanksAndMedians(window name: String) throws {
        let window = window(name)
        let naive = Self.fixture.naive.productivity(byMessenger: false, from: window.from, to: window.to)
        let rows = try Self.fixture.store.read { try ComparisonReport(by: .workCenter, window: window).run($0) }
        #expect(rows.map(\.key) == naive.map(\.key))
        let delivered = naive.map { Double($0.delivered) }
        let sorted = delivered.sorted()
        let median = sorted.isEmpty ? 0 : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        for (index, row) in rows.enumerated() {
            #expect(row.values[2] == delivered[index])
            #expect(row.ranks[2] == 1 + delivered.filter { $0 > delivered[index] }.count)
            #expect(row.ratios[2] == (median == 0 ? nil : delivered[index] / median))
        }
    }
}
