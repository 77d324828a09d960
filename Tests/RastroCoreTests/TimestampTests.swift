import Foundation
import RastroCore
import RastroGenerator
import Testing

@Suite("Timestamps")
struct TimestampTests {
    static var bogota: SiteTimeZone { SiteTimeZone(identifier: "America/Bogota")! }

    func parse(_ text: String, zone: SiteTimeZone = bogota) throws(FieldProblem) -> Int64 {
        var zone = zone
        return try Timestamp.parse(text, zone: &zone)
    }

    // 2026-11-03T15:04:05Z = 1_793_718_245 s since the epoch.
    static let instant: Int64 = 1_793_718_245_000

    @Test(arguments: [
        ("2026-11-03T15:04:05Z", instant),
        ("2026-11-03T15:04:05.123Z", instant + 123),
        ("2026-11-03T15:04:05.1Z", instant + 100),
        ("2026-11-03T15:04:05.123999Z", instant + 123),
        ("2026-11-03T10:04:05-05:00", instant),
        ("2026-11-03T10:04:05-0500", instant),
        ("2026-11-03T10:04:05-05", instant),
        ("2026-11-03T20:34:05+05:30", instant),
        ("2026-11-03T10:04:05", instant),
        ("2026-11-03 10:04:05", instant),
        ("2026-11-03 10:04", instant - 5_000),
        ("2026-11-03t15:04:05z", instant),
        ("2026-11-03 10:04:05,5", instant + 500),
    ])
    func accepts(text: String, expected: Int64) throws {
        #expect(try parse(text) == expected)
    }

    @Test(arguments: [
        ("", "not a timestamp"),
        ("2026-11-03", "not a timestamp"),
        ("2026/11/03 10:04:05", "not a timestamp"),
        ("2026-13-03T10:04:05Z", "month 13"),
        ("2026-02-29T10:04:05Z", "day 29 does not exist"),
        ("2026-11-03T24:00:00Z", "hour 24"),
        ("2026-11-03T10:60:00Z", "minute 60"),
        ("2026-11-03T10:04:61Z", "second 61"),
        ("2026-11-03T10:04:05+15:00", "offset"),
        ("2026-11-03T10:04:05.Z", "not a timestamp"),
        ("2026-11-03T10:04:05Zjunk", "not a timestamp"),
        ("yesterday at ten o'clock", "not a timestamp"),
    ])
    func rejects(text: String, message: String) {
        #expect {
            try parse(text)
        } throws: { error in
            (error as? FieldProblem)?.message.contains(message) == true
        }
    }

    @Test func leapDayExists() throws {
        #expect(try parse("2024-02-29T00:00:00Z") == 1_709_164_800_000)
    }

    @Test(arguments: [Int64(0), instant, instant + 1, instant + 999, 946_684_800_000, 4_102_444_799_999])
    func roundTripsThroughTheSiteOffset(milliseconds: Int64) throws {
        var zone = Self.bogota
        let text = Timestamp.format(milliseconds, zone: &zone)
        #expect(try parse(text) == milliseconds)
    }

    @Test func formatsWithTheSiteOffset() {
        var zone = Self.bogota
        #expect(Timestamp.format(Self.instant + 7, zone: &zone) == "2026-11-03T10:04:05.007-05:00")
        var utc = SiteTimeZone(identifier: "UTC")!
        #expect(Timestamp.format(Self.instant, zone: &utc) == "2026-11-03T15:04:05.000Z")
    }

    @Test func localDaysFollowTheSiteCalendar() {
        var zone = Self.bogota
        // 2026-11-04T04:59:59.999Z is still 2026-11-03 in Bogotá (UTC−5); one millisecond later it is the 4th.
        let midnight: Int64 = 1_793_768_400_000
        let third = Int32(CivilDate(year: 2026, month: 11, day: 3).daysSinceEpoch)
        #expect(zone.day(ofUTC: midnight - 1) == third)
        #expect(zone.day(ofUTC: midnight) == third + 1)
        #expect(zone.startOfDay(third + 1) == midnight)
    }

    @Test func daylightSavingDaysHaveTheirRealLength() {
        // Madrid moved from +02:00 to +01:00 on 2026-10-25: that local day lasts 25 hours.
        var zone = SiteTimeZone(identifier: "Europe/Madrid")!
        let day = Int32(CivilDate(year: 2026, month: 10, day: 25).daysSinceEpoch)
        #expect(zone.startOfDay(day + 1) - zone.startOfDay(day) == 25 * 3_600_000)
        let noon = zone.startOfDay(day) + 13 * 3_600_000
        #expect(zone.day(ofUTC: noon) == day)
    }
}

@Suite("Civil dates")
struct CivilDateTests {
    @Test(arguments: [-1, 0, 1, 365, 10_957, 20_760, 2_932_896])
    func roundTrips(days: Int) {
        #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
    }

    @Test func knownDates() {
        #expect(CivilDate(daysSinceEpoch: 0) == CivilDate(year: 1970, month: 1, day: 1))
        #expect(CivilDate(year: 2026, month: 11, day: 3).iso == "2026-11-03")
        #expect(CivilDate(year: 2026, month: 11, day: 2).isoWeekday == 1)
        #expect(CivilDate(year: 2026, month: 11, day: 8).isoWeekday == 7)
    }

    /// A zone that parsed the timestamps before (and keeps their last date) answers every timestamp as a fresh zone
    /// does, value or refusal and message: 20,000 random timestamps over a few dates, valid and invalid ones (month 13,
    /// 31 April, 29 February of a common year, hour 24, minute 60, a bad separator, an offset).
    @Test func parsingAfterOtherTimestampsGivesWhatAFreshZoneGives() {
        var random = SplitMix(seed: 11)
        func next(_ bound: Int) -> Int { random.below(bound) }
        let dates = ["2026-09-01", "2026-09-02", "2026-04-31", "2026-13-01", "2025-02-29", "2024-02-29", "2026-9-01x"]
        let separators = ["T", " ", "t", "_"]
        let offsets = ["", "", "Z", "-05:00", "+0130", "-05"]
        var shared = TimestampTests.bogota
        func outcome(_ text: String, _ zone: inout SiteTimeZone) -> String {
            do throws(FieldProblem) { return String(try Timestamp.parse(text, zone: &zone)) } catch { return error.message }
        }
        for _ in 0..<20_000 {
            let time = String(format: "%02d:%02d:%02d", next(26), next(62), next(61)) + (next(3) == 0 ? ".5" : "")
            let text = dates[next(dates.count)] + separators[next(separators.count)] + time + offsets[next(offsets.count)]
            var fresh = TimestampTests.bogota
            #expect(outcome(text, &shared) == outcome(text, &fresh), "\(text)")
        }
    }
}
