import RastroAnalytics
import RastroCore
import RastroStore
import RastroTestSupport
import Testing

/// Overdue at a past instant, item by item: which items `touched` rules out and which their timelines decide, with
/// answers worked out by hand. Site zone America/Bogota; 2026-09-07 is a Monday.
@Suite("Overdue at a past instant")
struct OverdueReportTests {
    static let rows = [
        // A: failed after the cutoff, on the cutoff's day, after an out_for_delivery that morning.
        "A,out_for_delivery,2026-09-07T09:00:00-05:00,M1,C1,D1,1,,,",
        "A,failed_attempt,2026-09-07T15:00:00-05:00,M1,C1,D1,2,CERRADO,,",
        "A,out_for_delivery,2026-09-09T10:00:00-05:00,M1,C1,D1,3,,,",
        // B: out for delivery before the cutoff, next scanned two days later.
        "B,out_for_delivery,2026-09-07T09:00:00-05:00,M1,C1,D1,4,,,",
        "B,delivered,2026-09-09T10:00:00-05:00,M1,C1,D1,5,,,",
        // C: the last day up to the cutoff's saw no out_for_delivery.
        "C,out_for_delivery,2026-09-06T09:00:00-05:00,M1,C1,D1,6,,,",
        "C,received,2026-09-07T08:00:00-05:00,M1,C1,D1,7,,,",
        "C,delivered,2026-09-09T10:00:00-05:00,M1,C1,D1,8,,,",
        // D: out for delivery after the cutoff, on the cutoff's day.
        "D,out_for_delivery,2026-09-07T13:00:00-05:00,M1,C1,D1,9,,,",
        "D,delivered,2026-09-09T10:00:00-05:00,M1,C1,D1,10,,,",
        // E: scanned on the instant's day before the instant.
        "E,out_for_delivery,2026-09-05T09:00:00-05:00,M1,C1,D1,11,,,",
        "E,in_transit,2026-09-08T11:00:00-05:00,M1,C1,D1,12,,,",
        "E,delivered,2026-09-09T10:00:00-05:00,M1,C1,D1,13,,,",
        // F: its latest scan of all is on the instant's day, after the instant.
        "F,out_for_delivery,2026-09-05T09:00:00-05:00,M1,C1,D1,14,,,",
        "F,delivered,2026-09-08T13:00:00-05:00,M1,C1,D1,15,,,",
        // G: never scanned again (the `current` index answers for it).
        "G,out_for_delivery,2026-09-05T09:00:00-05:00,M1,C1,D1,16,,,",
        // H: its latest scan of all is before the instant and not out_for_delivery.
        "H,out_for_delivery,2026-09-07T11:00:00-05:00,M1,C1,D1,17,,,",
        "H,received,2026-09-07T11:30:00-05:00,M1,C1,D1,18,,,",
        // I: scanned on a day between the cutoff's and a later instant's.
        "I,out_for_delivery,2026-09-07T09:00:00-05:00,M1,C1,D1,19,,,",
        "I,in_transit,2026-09-08T10:00:00-05:00,M1,C1,D1,20,,,",
        "I,delivered,2026-09-11T10:00:00-05:00,M1,C1,D1,21,,,",
        // J: out for delivery on Sunday, delivered on Friday.
        "J,out_for_delivery,2026-09-06T09:00:00-05:00,M1,C1,D1,22,,,",
        "J,delivered,2026-09-11T10:00:00-05:00,M1,C1,D1,23,,,",
        // K: out for delivery on Sunday, received on Monday night (after the same-day instant below).
        "K,out_for_delivery,2026-09-06T09:00:00-05:00,M1,C1,D1,24,,,",
        "K,received,2026-09-07T21:00:00-05:00,M1,C1,D1,25,,,",
    ]

    static func instant(_ text: String) -> Int64 {
        var zone = SiteTimeZone(identifier: "America/Bogota")!
        return try! Timestamp.parse(text, zone: &zone)
    }

    static let hour: Int64 = 3_600_000

    @Test(arguments: [
        // The cutoff (Monday noon) falls on the day before the instant's.
        ("2026-09-08T12:00:00", 24, ["F", "G", "J", "B"]),
        // Tuesday and Wednesday lie between the cutoff's day and the instant's.
        ("2026-09-10T12:00:00", 72, ["G", "J"]),
        // The cutoff and the instant fall on the same day: K's Monday has no out_for_delivery, but its Monday scan
        // comes after the instant.
        ("2026-09-07T20:00:00", 4, ["E", "F", "G", "J", "K", "B", "I", "D"]),
    ])
    func itemsScannedAgainAfterTheInstant(at text: String, hours: Int64, expected: [String]) throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path, timeZone: "America/Bogota")
        _ = try store.ingest(StreamFixtures.batch(Self.rows))
        let at = Self.instant(text)
        let rows = try store.read {
            try OverdueReport(event: .outForDelivery, olderThanMilliseconds: hours * Self.hour, at: at).run($0)
        }
        #expect(rows.map(\.trackingID) == expected)
        #expect(rows.allSatisfy { $0.ageMilliseconds == at - $0.scannedAt && $0.ageMilliseconds >= hours * Self.hour })
        #expect(rows.allSatisfy { $0.messenger == "M1" && $0.workCenter == "C1" })
    }
}
