import RastroCore
import RastroPrimitives

/// One scan as a cell sees it: when, what, what state it ended, and why.
public struct CellRecord: Sendable, Hashable, Comparable {
    /// UTC milliseconds.
    public var time: Int64
    public var event: Event
    /// The event of the item's previous scan plus one; 0 when this is the item's first scan.
    public var previousEventCode: UInt8
    /// The work centre of the item's previous scan; 0 when this is the item's first scan.
    public var previousCenter: UInt32
    /// 0 when the scan has no reason.
    public var reason: UInt32

    @inlinable
    public init(time: Int64, event: Event, previousEventCode: UInt8, previousCenter: UInt32, reason: UInt32) {
        self.time = time
        self.event = event
        self.previousEventCode = previousEventCode
        self.previousCenter = previousCenter
        self.reason = reason
    }

    public var previousEvent: Event? { previousEventCode == 0 ? nil : Event(rawValue: previousEventCode - 1) }

    public static func < (lhs: CellRecord, rhs: CellRecord) -> Bool {
        if lhs.time != rhs.time { return lhs.time < rhs.time }
        if lhs.event != rhs.event { return lhs.event < rhs.event }
        if lhs.previousEventCode != rhs.previousEventCode { return lhs.previousEventCode < rhs.previousEventCode }
        if lhs.previousCenter != rhs.previousCenter { return lhs.previousCenter < rhs.previousCenter }
        return lhs.reason < rhs.reason
    }
}

/// The key of a cell: one person at one work centre on one local day.
public struct CellKey: Sendable, Hashable, Comparable {
    public var day: UInt32
    public var center: UInt32
    public var messenger: UInt32

    @inlinable
    public init(day: UInt32, center: UInt32, messenger: UInt32) {
        self.day = day
        self.center = center
        self.messenger = messenger
    }

    /// The database key of the (day, centre) entry that holds this cell.
    public var storageKey: Key { Cell.key(day: day, center: center) }

    public static func < (lhs: CellKey, rhs: CellKey) -> Bool {
        (lhs.day, lhs.center, lhs.messenger) < (rhs.day, rhs.center, rhs.messenger)
    }

}

extension CellKey: FastHashable {
    public var fastHash: UInt64 { FastHash.combine(FastHash.mix(UInt64(day) << 32 | UInt64(center)), UInt64(messenger)) }
}

/// What whole-day questions need from a cell, stored ahead of its records so they never decode them.
public struct CellSummary: Sendable, Equatable {
    public var scans = 0
    public var perEvent = [Int](repeating: 0, count: Event.count)
    /// UTC milliseconds of the first and last scan.
    public var first: Int64 = 0
    public var last: Int64 = 0
    /// Failed attempts and returns by reason, sorted by reason id.
    public var reasons: [(reason: UInt32, failed: Int, returned: Int)] = []

    public init() {}

    public static func == (lhs: CellSummary, rhs: CellSummary) -> Bool {
        lhs.scans == rhs.scans && lhs.perEvent == rhs.perEvent && lhs.first == rhs.first && lhs.last == rhs.last
            && lhs.reasons.elementsEqual(rhs.reasons) { $0 == $1 }
    }
}

/// The cells of one work centre on one local day: for each person who scanned there, a summary and the records.
///
/// One database entry per (day, centre) rather than per person: a person's cell is a few hundred bytes and grows all
/// day, which leaves LMDB leaf pages half full; a centre's day is 5–20 KB and lives in overflow pages that waste
/// little. Each person's records are length-prefixed so whole-day questions read summaries and skip records.
/// See docs/storage.md §5.4.
public enum Cell {
    /// The database key: day and centre.
    public static func key(day: UInt32, center: UInt32) -> Key {
        var key = Key()
        key.append(bigEndian: day)
        key.append(bigEndian: center)
        return key
    }

    /// Encodes each person's sorted records; `dayStart` is the UTC instant of the key's local midnight. With
    /// `summaries`, the `cellsums` value goes there too: the centre's day in total, then each person's summary
    /// (docs/storage.md §5.4).
    public static func encode(
        _ people: [(messenger: UInt32, records: [CellRecord])], center: UInt32, dayStart: Int64, into writer: ByteWriter,
        scratch: ByteWriter, summaries: ByteWriter? = nil
    ) {
        let personSummaries = people.map { summarize($0.records) }
        if let summaries {
            encodeSummary(total(personSummaries), dayStart: dayStart, into: summaries)
            summaries.varint(people.count)
        }
        writer.varint(people.count)
        var previousMessenger: UInt32 = 0
        for (index, (messenger, records)) in people.enumerated() {
            precondition(!records.isEmpty && messenger > previousMessenger)
            writer.varint(messenger - previousMessenger)
            summaries?.varint(messenger - previousMessenger)
            previousMessenger = messenger
            encodeSummary(personSummaries[index], dayStart: dayStart, into: writer)
            if let summaries { encodeSummary(personSummaries[index], dayStart: dayStart, into: summaries) }
            scratch.removeAll()
            encodeRecords(records, center: center, dayStart: dayStart, into: scratch)
            writer.varint(scratch.count)
            scratch.withBytes { writer.append($0) }
        }
    }

    /// Everyone's summaries as one: the centre's day.
    static func total(_ summaries: [CellSummary]) -> CellSummary {
        var total = CellSummary()
        var reasons: [UInt32: (failed: Int, returned: Int)] = [:]
        for summary in summaries {
            total.first = total.scans == 0 ? summary.first : min(total.first, summary.first)
            total.last = total.scans == 0 ? summary.last : max(total.last, summary.last)
            total.scans += summary.scans
            for event in 0..<Event.count { total.perEvent[event] += summary.perEvent[event] }
            for entry in summary.reasons {
                let sum = reasons[entry.reason, default: (0, 0)]
                reasons[entry.reason] = (sum.failed + entry.failed, sum.returned + entry.returned)
            }
        }
        total.reasons = reasons.sorted { $0.key < $1.key }.map { ($0.key, $0.value.failed, $0.value.returned) }
        return total
    }

    static func encodeSummary(_ summary: CellSummary, dayStart: Int64, into writer: ByteWriter) {
        writer.varint(summary.scans)
        for count in summary.perEvent { writer.varint(count) }
        writer.varint(UInt64(summary.first - dayStart))
        writer.varint(UInt64(summary.last - dayStart))
        writer.varint(summary.reasons.count)
        for entry in summary.reasons {
            writer.varint(entry.reason)
            writer.varint(entry.failed)
            writer.varint(entry.returned)
        }
    }

    /// Decodes a summary into `summary`, reusing its arrays: reading a day's summaries allocates nothing.
    static func decodeSummary(_ reader: inout ByteReader, dayStart: Int64, into summary: inout CellSummary) throws(CorruptBytes) {
        summary.scans = try reader.count(maximum: 1 << 30)
        for event in 0..<Event.count { summary.perEvent[event] = try reader.count(maximum: 1 << 30) }
        // Offsets within a day: bounded so that a damaged value cannot overflow the instant.
        summary.first = dayStart &+ Int64(try reader.count(maximum: 1 << 40))
        summary.last = dayStart &+ Int64(try reader.count(maximum: 1 << 40))
        let reasonCount = try reader.count(maximum: 1 << 20)
        summary.reasons.removeAll(keepingCapacity: true)
        for _ in 0..<reasonCount {
            summary.reasons.append((try reader.varint32(), try reader.count(maximum: 1 << 30), try reader.count(maximum: 1 << 30)))
        }
    }

    /// Decodes a `cellsums` value: calls `body` with messenger 0 and the centre's total, then, with `people`, per
    /// person in id order. The summary passed is reused between calls.
    public static func decodeSummaries(
        _ payload: ByteView, dayStart: Int64, people wantPeople: Bool, into summary: inout CellSummary,
        _ body: (UInt32, CellSummary) throws -> Void
    ) throws {
        var reader = ByteReader(payload)
        try decodeSummary(&reader, dayStart: dayStart, into: &summary)
        try body(0, summary)
        guard wantPeople else { return }
        let people = try reader.count(maximum: 1 << 24)
        var messenger: UInt32 = 0
        for _ in 0..<people {
            messenger &+= try reader.varint32()
            try decodeSummary(&reader, dayStart: dayStart, into: &summary)
            try body(messenger, summary)
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in cell summaries") }
    }

    static func encodeRecords(_ records: [CellRecord], center: UInt32, dayStart: Int64, into writer: ByteWriter) {
        var previous = dayStart
        for record in records {
            writer.varint(TimeDelta.encode(record.time - previous))
            previous = record.time
            var flags = record.event.rawValue | (record.previousEventCode << 3)
            let samePrevious = record.previousEventCode != 0 && record.previousCenter == center
            if samePrevious { flags |= 1 << 6 }
            if record.reason != 0 { flags |= 1 << 7 }
            writer.byte(flags)
            if record.previousEventCode != 0 && !samePrevious { writer.varint(record.previousCenter) }
            if record.reason != 0 { writer.varint(record.reason) }
        }
    }

    static func summarize(_ records: [CellRecord]) -> CellSummary {
        var summary = CellSummary()
        summary.scans = records.count
        summary.first = records.first!.time
        summary.last = records.last!.time
        var reasons: [UInt32: (Int, Int)] = [:]
        for record in records {
            summary.perEvent[Int(record.event.rawValue)] += 1
            if record.reason != 0 && (record.event == .failedAttempt || record.event == .returned) {
                var entry = reasons[record.reason, default: (0, 0)]
                if record.event == .failedAttempt { entry.0 += 1 } else { entry.1 += 1 }
                reasons[record.reason] = entry
            }
        }
        summary.reasons = reasons.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
        return summary
    }

    /// Decodes a centre's day: calls `body` per person in id order with the summary and, when `wantRecords`, the
    /// records (the array is reused between calls).
    public static func decode(
        _ payload: ByteView, center: UInt32, dayStart: Int64, wantRecords: Bool,
        _ body: (UInt32, CellSummary, [CellRecord]) throws -> Void
    ) throws {
        var reader = ByteReader(payload)
        let people = try reader.count(maximum: 1 << 24)
        var messenger: UInt32 = 0
        var records: [CellRecord] = []
        for _ in 0..<people {
            messenger &+= try reader.varint32()
            var summary = CellSummary()
            try decodeSummary(&reader, dayStart: dayStart, into: &summary)
            let length = try reader.count(maximum: reader.remaining)
            let recordBytes = try reader.slice(length)
            records.removeAll(keepingCapacity: true)
            if wantRecords {
                try decodeRecords(recordBytes, count: summary.scans, center: center, dayStart: dayStart, into: &records)
            }
            try body(messenger, summary, records)
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in a cell") }
    }

    static func decodeRecords(
        _ bytes: ByteView, count: Int, center: UInt32, dayStart: Int64, into records: inout [CellRecord]
    ) throws(StoreCorruption) {
        var reader = ByteReader(bytes)
        var time = dayStart
        // A record takes at least two bytes: a damaged count cannot reserve more than the bytes could hold.
        guard count <= bytes.count / 2 else {
            throw StoreCorruption("a cell claims \(count) scans in \(bytes.count) bytes")
        }
        records.reserveCapacity(records.count + count)
        for _ in 0..<count {
            time &+= TimeDelta.decode(try reader.varint())
            let flags = try reader.byte()
            guard let event = Event(rawValue: flags & 7) else { throw StoreCorruption("cell event \(flags & 7)") }
            let previousEventCode = (flags >> 3) & 7
            var previousCenter: UInt32 = 0
            if previousEventCode != 0 {
                previousCenter = flags & (1 << 6) != 0 ? center : try reader.varint32()
            }
            let reason = flags & (1 << 7) != 0 ? try reader.varint32() : 0
            records.append(
                CellRecord(time: time, event: event, previousEventCode: previousEventCode, previousCenter: previousCenter, reason: reason))
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in a cell's records") }
    }
}
