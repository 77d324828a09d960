import RastroCore
import RastroStore

/// Every index of a store, spelled with names instead of ids and sorted: two stores holding the same scans must
/// produce the same dump whatever order the scans arrived in (ids depend on arrival; names do not).
public struct IndexDump: Equatable, CustomStringConvertible {
    public var cells: [String] = []
    /// The `cellsums` values, spelled as the summary part of each `cells` line.
    public var cellSummaries: [String] = []
    /// The centre totals of `cellsums`.
    public var centerTotals: [String] = []
    /// Centre totals that are not the sum of their people's summaries (should be empty).
    public var totalMismatches: [String] = []
    public var dayStates: [String] = []
    public var durations: [String] = []
    public var current: [String] = []
    public var touched: [String] = []
    public var seqs: [String] = []

    public var description: String {
        "cells \(cells.count), dayStates \(dayStates.count), durations \(durations.count), current \(current.count), "
            + "touched \(touched.count), seqs \(seqs.count)"
    }

    /// Whether every `cellsums` value says what its cell's records say.
    public var summariesMatchCells: Bool {
        // A cell line is its summary line, a space, then its records in brackets: cut at the last " [".
        cellSummaries == cells.map { line in
            let bytes = Array(line.utf8)
            var cut = bytes.count - 2
            while cut > 0 && !(bytes[cut] == UInt8(ascii: " ") && bytes[cut + 1] == UInt8(ascii: "[")) { cut -= 1 }
            return String(decoding: bytes[..<cut], as: UTF8.self)
        }
    }

    static func totalLine(_ scans: Int, _ perEvent: [Int], _ first: Int64, _ last: Int64, _ reasons: [String: (Int, Int)]) -> String {
        "n=\(scans) \(perEvent) \(first)-\(last) \(reasons.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.0)/\($0.value.1)" })"
    }

    static func summaryLine(_ key: CellKey, _ summary: CellSummary, _ reader: StoreReader) throws -> String {
        var reasons: [String] = []
        for entry in summary.reasons {
            reasons.append("\(try reader.name(.reason, entry.reason)):\(entry.failed)/\(entry.returned)")
        }
        return "\(key.day) \(try reader.name(.workCenter, key.center)) \(try reader.name(.messenger, key.messenger)) n=\(summary.scans) "
            + "\(summary.perEvent) \(summary.first)-\(summary.last) \(reasons.sorted())"
    }

    public static func of(_ store: Store) throws -> IndexDump {
        try store.read { reader in
            var dump = IndexDump()
            let days: Range<UInt32> = 0..<UInt32.max
            var itemNames: [UInt32: String] = [:]
            func item(_ id: UInt32) throws -> String {
                if let name = itemNames[id] { return name }
                let name = try reader.timeline(item: id)!.trackingID
                itemNames[id] = name
                return name
            }
            try reader.forEachCell(days: days, records: true) { key, summary, records in
                var lines: [String] = []
                for record in records {
                    let previous = record.previousEvent.map { "\($0.code)@\(try! reader.name(.workCenter, record.previousCenter))" } ?? "-"
                    let reason = record.reason == 0 ? "-" : try reader.name(.reason, record.reason)
                    lines.append("\(record.time) \(record.event.code) \(previous) \(reason)")
                }
                dump.cells.append(try Self.summaryLine(key, summary, reader) + " [\(lines.sorted().joined(separator: "; "))]")
            }
            // Each centre's total must be the sum of its people's summaries.
            var totals: [UInt64: String] = [:]
            var sums: [UInt64: (scans: Int, perEvent: [Int], first: Int64, last: Int64, reasons: [String: (Int, Int)])] = [:]
            try reader.forEachCellSummary(days: days) { key, summary in
                let slot = UInt64(key.day) << 32 | UInt64(key.center)
                var reasons: [String: (Int, Int)] = [:]
                for entry in summary.reasons { reasons[try reader.name(.reason, entry.reason)] = (entry.failed, entry.returned) }
                if key.messenger == 0 {
                    totals[slot] = Self.totalLine(summary.scans, summary.perEvent, summary.first, summary.last, reasons)
                    dump.centerTotals.append("\(key.day) \(try reader.name(.workCenter, key.center)) " + totals[slot]!)
                } else {
                    dump.cellSummaries.append(try Self.summaryLine(key, summary, reader))
                    var sum = sums[slot] ?? (0, [Int](repeating: 0, count: Event.count), summary.first, summary.last, [:])
                    sum.scans += summary.scans
                    for event in 0..<Event.count { sum.perEvent[event] += summary.perEvent[event] }
                    sum.first = min(sum.first, summary.first)
                    sum.last = max(sum.last, summary.last)
                    for (name, counts) in reasons {
                        let before = sum.reasons[name] ?? (0, 0)
                        sum.reasons[name] = (before.0 + counts.0, before.1 + counts.1)
                    }
                    sums[slot] = sum
                }
            }
            for (slot, total) in totals {
                let sum = sums[slot]
                let expected = sum.map { Self.totalLine($0.scans, $0.perEvent, $0.first, $0.last, $0.reasons) } ?? "no people"
                if expected != total { dump.totalMismatches.append("day \(slot >> 32) centre \(slot & 0xFFFF_FFFF): \(total) ≠ \(expected)") }
            }
            try reader.forEachDayStates(days: days) { day, entries in
                for entry in entries {
                    dump.dayStates.append("\(day) \(try reader.name(.workCenter, entry.center)) \(entry.event.code) +\(entry.entries) -\(entry.exits)")
                }
            }
            for from in Event.allCases {
                for to in Event.allCases where to != from {
                    for kind in [DurationHistograms.byCenter, DurationHistograms.byMessenger] {
                        try reader.forEachDurationSet(from: from, to: to, kind: kind, days: days) { day, cells in
                            for cell in cells {
                                let name = try reader.name(kind == 0 ? .workCenter : .messenger, cell.key)
                                dump.durations.append("\(from.code)>\(to.code) \(day) \(kind) \(name) bin\(cell.bin) x\(cell.count)")
                            }
                        }
                    }
                }
                try reader.forEachCurrent(event: from, days: days) { day, records in
                    for record in records {
                        dump.current.append(
                            "\(from.code) \(day) \(record.time) \(try item(record.item)) \(try reader.name(.workCenter, record.center)) "
                                + "\(try reader.name(.messenger, record.messenger))")
                    }
                }
            }
            try reader.forEachTouchedEvents(days: days) { day, items in
                for packed in items {
                    dump.touched.append("\(day) \(try item(UInt32(truncatingIfNeeded: packed >> 8))) events=\(packed & 0xFF)")
                }
            }
            try reader.forEachSeqRanges { device, ranges in
                dump.seqs.append("\(try reader.name(.device, device)) \(zip(ranges.starts, ranges.ends).map { "\($0)-\($1)" })")
            }
            dump.cells.sort()
            dump.cellSummaries.sort()
            dump.centerTotals.sort()
            dump.dayStates.sort()
            dump.durations.sort()
            dump.current.sort()
            dump.touched.sort()
            dump.seqs.sort()
            return dump
        }
    }
}
