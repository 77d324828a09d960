import Foundation
import RastroCore
import RastroTestSupport

/// The analytics answered a second, naive way: straight from the raw rows, with Foundation's time zones, no index.
struct NaiveAnalytics {
    struct Scan {
        var trackingID: String
        var event: Event
        var time: Int64
        var messenger: String
        var center: String
        var device: String
        var seq: UInt64
        var reason: String?
        /// Position in the order the store received the scans.
        var arrival: Int
    }

    /// The scans the store keeps: per (device, seq), the first to arrive.
    let scans: [Scan]
    /// Each item's scans by `scanned_at`, then arrival.
    let timelines: [String: [Scan]]
    let zone: TimeZone

    init(arrivalOrder rows: [String], zone: String = "America/Bogota") {
        self.zone = TimeZone(identifier: zone)!
        var seen = Set<String>()
        var kept: [Scan] = []
        let batch = StreamFixtures.batch(rows, zone: zone)
        for (arrival, scan) in batch.scans.enumerated() {
            let key = batch.string(scan.device) + "#" + String(scan.seq)
            guard seen.insert(key).inserted else { continue }
            kept.append(
                Scan(
                    trackingID: batch.string(scan.trackingID), event: scan.event, time: scan.scannedAt,
                    messenger: batch.string(scan.messenger), center: batch.string(scan.workCenter), device: batch.string(scan.device),
                    seq: scan.seq, reason: scan.reason.length == 0 ? nil : batch.string(scan.reason), arrival: arrival))
        }
        scans = kept
        timelines = Dictionary(grouping: kept, by: \.trackingID).mapValues {
            $0.sorted { ($0.time, $0.arrival) < ($1.time, $1.arrival) }
        }
    }

    /// The local calendar day of an instant, as "YYYY-MM-DD".
    func localDay(_ time: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(time) / 1000))
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    func bucket(_ time: Int64, _ kind: String) -> String? {
        switch kind {
        case "day": return localDay(time)
        case "month": return String(localDay(time).prefix(7))
        case "week":
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = zone
            let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: Date(timeIntervalSince1970: Double(time) / 1000))
            return String(format: "%04d-W%02d", parts.yearForWeekOfYear!, parts.weekOfYear!)
        default: return nil
        }
    }

    static func inWindow(_ time: Int64, _ from: Int64?, _ to: Int64?) -> Bool {
        (from.map { time >= $0 } ?? true) && (to.map { time < $0 } ?? true)
    }

    struct ProductivityLine: Equatable, CustomStringConvertible {
        var key: String
        var bucket: String?
        var scans = 0, pickedUp = 0, delivered = 0, failed = 0, returned = 0
        var activeMilliseconds: Int64 = 0
        var description: String { "\(key) \(bucket ?? "") \(scans) \(pickedUp) \(delivered) \(failed) \(returned) \(activeMilliseconds)" }
    }

    func productivity(byMessenger: Bool, center: String? = nil, bucket kind: String = "total", from: Int64? = nil, to: Int64? = nil)
        -> [ProductivityLine]
    {
        var lines: [String: ProductivityLine] = [:]
        var spans: [String: (Int64, Int64, String, String?)] = [:]
        for scan in scans where Self.inWindow(scan.time, from, to) && (center == nil || scan.center == center) {
            let key = byMessenger ? scan.messenger : scan.center
            let label = bucket(scan.time, kind)
            let slot = key + "|" + (label ?? "")
            var line = lines[slot] ?? ProductivityLine(key: key, bucket: label)
            line.scans += 1
            switch scan.event {
            case .pickedUp: line.pickedUp += 1
            case .delivered: line.delivered += 1
            case .failedAttempt: line.failed += 1
            case .returned: line.returned += 1
            default: break
            }
            lines[slot] = line
            let daySlot = key + "|" + localDay(scan.time)
            let span = spans[daySlot] ?? (scan.time, scan.time, slot, label)
            spans[daySlot] = (min(span.0, scan.time), max(span.1, scan.time), slot, label)
        }
        for (_, span) in spans { lines[span.2]!.activeMilliseconds += span.1 - span.0 }
        return lines.values.sorted { ($0.key, $0.bucket ?? "") < ($1.key, $1.bucket ?? "") }
    }

    /// Exact durations of A→B per key of the B scan (`""` without a key).
    func durations(from a: Event, to b: Event, key: ((Scan) -> String)?, from start: Int64? = nil, to end: Int64? = nil) -> [String: [Int64]] {
        var result: [String: [Int64]] = [:]
        for timeline in timelines.values {
            guard let first = timeline.first(where: { $0.event == a }), Self.inWindow(first.time, start, end) else { continue }
            guard let second = timeline.first(where: { $0.event == b && $0.time >= first.time }) else { continue }
            result[key?(second) ?? "", default: []].append(second.time - first.time)
        }
        return result
    }

    /// The nearest-rank percentile of exact values.
    static func nearestRank(_ p: Int, _ values: [Int64]) -> Int64 {
        let sorted = values.sorted()
        let rank = max(1, Int((Double(p) / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[rank - 1]
    }

    func returns(key: (Scan) -> String?, from: Int64? = nil, to: Int64? = nil) -> [String: (Int, Int)] {
        var result: [String: (Int, Int)] = [:]
        for scan in scans where Self.inWindow(scan.time, from, to) && (scan.event == .failedAttempt || scan.event == .returned) {
            let name = key(scan) ?? "<none>"
            var entry = result[name] ?? (0, 0)
            if scan.event == .failedAttempt { entry.0 += 1 } else { entry.1 += 1 }
            result[name] = entry
        }
        return result
    }

    /// Each item's latest scan strictly before `at` (ties: the later arrival).
    func latest(before at: Int64) -> [Scan] {
        timelines.values.compactMap { timeline in timeline.last { $0.time < at } }
    }

    func states(at: Int64, center: String? = nil) -> [String: Int] {
        var result: [String: Int] = [:]
        for scan in latest(before: at) where center == nil || scan.center == center {
            result[scan.center + " " + scan.event.code, default: 0] += 1
        }
        return result
    }

    func overdue(event: Event, olderThan: Int64, at: Int64, center: String? = nil) -> [(String, Int64)] {
        latest(before: at)
            .filter { $0.event == event && $0.time <= at - olderThan && (center == nil || $0.center == center) }
            .map { ($0.trackingID, $0.time) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }
}
