import RastroAnalytics
import RastroCore
import RastroStore
import RastroTestSupport
import Testing

/// Hand-made cases with answers worked out by hand: the local-day boundary, ties in time, an A without a B, window
/// edges and empty windows. Site zone America/Bogota (UTC−5, no daylight saving).
@Suite("Analytics edge cases")
struct AnalyticsEdgeTests {
    static let rows = [
        // T1: the messenger's two scans are one UTC day apart by an hour but on two local days.
        "T1,picked_up,2026-09-01T23:30:00-05:00,M1,C1,D1,1,,,",
        "T1,received,2026-09-02T00:30:00-05:00,M1,C1,D1,2,,,",
        // T2 and T3: two scans at the same instant; the later arrival is the state.
        "T2,out_for_delivery,2026-09-03T10:00:00-05:00,M2,C2,D2,1,,,",
        "T2,delivered,2026-09-03T10:00:00-05:00,M2,C2,D2,2,,,",
        "T3,delivered,2026-09-03T10:00:00-05:00,M2,C2,D2,3,,,",
        "T3,out_for_delivery,2026-09-03T10:00:00-05:00,M2,C2,D2,4,,,",
        // T4: delivered before it was picked up: no picked_up → delivered pair, a delivered → picked_up one.
        "T4,delivered,2026-09-04T10:00:00-05:00,M3,C1,D3,1,,,",
        "T4,picked_up,2026-09-04T11:00:00.250-05:00,M3,C1,D3,2,,,",
        // T5: a failed attempt with a reason, then a return.
        "T5,failed_attempt,2026-09-04T12:00:00-05:00,M3,C2,D3,3,CERRADO,,",
        "T5,returned,2026-09-05T09:00:00-05:00,M3,C2,D3,4,REHUSADO,,",
    ]

    static func store() throws -> (TemporaryDirectory, Store) {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path, timeZone: "America/Bogota")
        // One scan per batch, in the order listed: arrival order is row order.
        for row in rows { _ = try store.ingest(StreamFixtures.batch([row])) }
        return (directory, store)
    }

    static func instant(_ text: String) -> Int64 {
        var zone = SiteTimeZone(identifier: "America/Bogota")!
        return try! Timestamp.parse(text, zone: &zone)
    }

    @Test func activeTimeIsPerLocalDayNotPerUTCDay() throws {
        let (directory, store) = try Self.store()
        defer { withExtendedLifetime(directory) {} }
        let daily = try store.read { try ProductivityReport(by: .messenger, bucket: .day, window: .all).run($0) }
        let m1 = daily.filter { $0.key == "M1" }
        #expect(m1.map(\.bucket) == ["2026-09-01", "2026-09-02"])
        #expect(m1.map(\.productivity.scans) == [1, 1])
        // In UTC both scans fall on 2026-09-02, an hour apart; in the site's days each day has one scan.
        #expect(m1.map(\.productivity.activeMilliseconds) == [0, 0])
        let fromMidnight = try store.read {
            try ProductivityReport(by: .messenger, window: TimeWindow(from: Self.instant("2026-09-02T00:00:00"), to: nil)).run($0)
        }
        #expect(fromMidnight.first { $0.key == "M1" }?.productivity.scans == 1)
        let m3 = try store.read { try ProductivityReport(by: .messenger, window: .all).run($0) }.first { $0.key == "M3" }
        // 2026-09-04: 10:00 → 12:00 is 2 h; 2026-09-05 has one scan.
        #expect(m3?.productivity.activeMilliseconds == Int64(7_200_000))
        #expect(m3?.productivity.deliveriesPerActiveHour == 0.5)
    }

    @Test func aTieInTimeGoesToTheLaterArrival() throws {
        let (directory, store) = try Self.store()
        defer { withExtendedLifetime(directory) {} }
        let at = Self.instant("2026-09-03T12:00:00")
        let states = try store.read { try StateReport(center: "C2", at: at).run($0) }
        #expect(states.map { "\($0.event.code) \($0.count)" } == ["out_for_delivery 1", "delivered 1"])
        let overdue = try store.read { try OverdueReport(event: .outForDelivery, olderThanMilliseconds: 3_600_000, at: at).run($0) }
        #expect(overdue.map(\.trackingID) == ["T3"])
        #expect(overdue.first?.ageMilliseconds == Int64(7_200_000))
        // At exactly 10:00 neither scan is before the instant.
        let atTen = try store.read { try StateReport(center: "C2", at: Self.instant("2026-09-03T10:00:00")).run($0) }
        #expect(atTen.isEmpty)
        // B at the same instant as A is "at or after" it.
        let durations = try store.read { try DurationReport(from: .outForDelivery, to: .delivered, window: .all).run($0) }
        #expect(durations.map(\.count) == [2])
        #expect(durations.first?.max == 0)
    }

    @Test func anItemWithoutALaterBHasNoDuration() throws {
        let (directory, store) = try Self.store()
        defer { withExtendedLifetime(directory) {} }
        let forward = try store.read { try DurationReport(from: .pickedUp, to: .delivered, by: .workCenter, window: .all).run($0) }
        #expect(forward.isEmpty)
        let backward = try store.read { try DurationReport(from: .delivered, to: .pickedUp, by: .messenger, window: .all).run($0) }
        #expect(backward.map(\.key) == ["M3"])
        // 1 h 0.250 s = 3,600,250 ms, reported within 1/128.
        let reported = try #require(backward.first?.p50)
        #expect(abs(reported - 3_600_250) <= 3_600_250 / 128)
        #expect(backward.first?.count == 1)
    }

    @Test func windowsIncludeTheirStartAndExcludeTheirEnd() throws {
        let (directory, store) = try Self.store()
        defer { withExtendedLifetime(directory) {} }
        let start = Self.instant("2026-09-04T10:00:00")
        let end = Self.instant("2026-09-04T12:00:00")
        let rows = try store.read { try ProductivityReport(by: .messenger, window: TimeWindow(from: start, to: end)).run($0) }
        #expect(rows.map(\.key) == ["M3"])
        #expect(rows.first?.productivity.scans == 2)
        #expect(rows.first?.productivity.activeMilliseconds == 3_600_250)
        // The window applies to the A scan: delivered at 10:00 is inside [10:00, 10:00.001).
        let pair = try store.read {
            try DurationReport(from: .delivered, to: .pickedUp, window: TimeWindow(from: start, to: start + 1)).run($0)
        }
        #expect(pair.map(\.count) == [1])
        let after = try store.read {
            try DurationReport(from: .delivered, to: .pickedUp, window: TimeWindow(from: start + 1, to: nil)).run($0)
        }
        #expect(after.isEmpty)
        let returns = try store.read { try ReturnsReport(by: .reason, window: TimeWindow(from: end, to: nil)).run($0) }
        #expect(returns.map { "\($0.key ?? "-") \($0.failedAttempts) \($0.returned)" } == ["CERRADO 1 0", "REHUSADO 0 1"])
    }

    @Test func emptyWindowsAnswerNothing() throws {
        let (directory, store) = try Self.store()
        defer { withExtendedLifetime(directory) {} }
        let window = TimeWindow(from: Self.instant("2030-01-01T00:00:00"), to: Self.instant("2030-02-01T00:00:00"))
        try store.read { (reader: StoreReader) throws -> Void in
            #expect(try ProductivityReport(by: .workCenter, window: window).run(reader).isEmpty)
            #expect(try ComparisonReport(by: .workCenter, window: window).run(reader).isEmpty)
            #expect(try DurationReport(from: .pickedUp, to: .received, window: window).run(reader).isEmpty)
            #expect(try ReturnsReport(by: .messenger, window: window).run(reader).isEmpty)
            #expect(try StateReport(at: Self.instant("2026-01-01T00:00:00")).run(reader).isEmpty)
            #expect(try OverdueReport(event: .received, olderThanMilliseconds: 0, at: Self.instant("2026-01-01T00:00:00")).run(reader).isEmpty)
        }
        // An empty store answers too.
        let empty = TemporaryDirectory()
        let nothing = try Store(directory: empty.path)
        #expect(try nothing.read { try ProductivityReport(by: .messenger).run($0) }.isEmpty)
        #expect(try nothing.read { try StateReport(at: 0).run($0) }.isEmpty)
    }

    @Test func anUnknownCentreOrKeyIsAClearError() throws {
        let (directory, store) = try Self.store()
        defer { withExtendedLifetime(directory) {} }
        #expect(throws: UnknownName.self) { try store.read { try ProductivityReport(by: .messenger, center: "NOPE").run($0) } }
        #expect(throws: UnknownName.self) { try store.read { try ComparisonReport(by: .messenger, keys: ["M1", "M9"]).run($0) } }
    }

    @Test func compareRanksTiesAndRatiosToTheMedian() throws {
        let (directory, store) = try Self.store()
        defer { withExtendedLifetime(directory) {} }
        let rows = try store.read { try ComparisonReport(by: .messenger, keys: ["M1", "M2", "M3"]).run($0) }
        #expect(rows.map(\.key) == ["M1", "M2", "M3"])
        // scans: M1 2, M2 4, M3 4 → ranks 3, 1, 1; median 4.
        #expect(rows.map { $0.values[0] } == [2, 4, 4])
        #expect(rows.map { $0.ranks[0] } == [3, 1, 1])
        #expect(rows.map { $0.ratios[0] } == [0.5, 1, 1])
        // returned: 0, 0, 1 → median 0 → no ratio.
        #expect(rows.map { $0.ratios[4] } == [nil, nil, nil])
    }

    @Test func weeksAreISOWeeksAndMonthsCalendarMonths() {
        // 2026-09-06 is a Sunday (ISO week 36), 2026-09-07 a Monday (week 37); 2021-01-03 belongs to 2020-W53.
        let day = { (y: Int, m: Int, d: Int) in UInt32(CivilDate(year: y, month: m, day: d).daysSinceEpoch) }
        #expect(Bucket.week.label(Bucket.week.index(of: day(2026, 9, 6))) == "2026-W36")
        #expect(Bucket.week.label(Bucket.week.index(of: day(2026, 9, 7))) == "2026-W37")
        #expect(Bucket.week.label(Bucket.week.index(of: day(2021, 1, 3))) == "2020-W53")
        #expect(Bucket.week.label(Bucket.week.index(of: day(2024, 12, 30))) == "2025-W01")
        #expect(Bucket.month.label(Bucket.month.index(of: day(2026, 12, 31))) == "2026-12")
        #expect(Bucket.day.label(Bucket.day.index(of: day(2026, 2, 28))) == "2026-02-28")
    }
}
