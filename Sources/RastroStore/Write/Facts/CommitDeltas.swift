import RastroCore
import RastroPrimitives

/// A record to add to or remove from one cell.
struct CellChange {
    var record: CellRecord
    var isAdd: Bool
}

struct DayStateKey: Hashable, FastHashable {
    var day: UInt32
    var center: UInt32
    var event: Event

    var fastHash: UInt64 { FastHash.combine(FastHash.mix(UInt64(day) << 32 | UInt64(center)), UInt64(event.rawValue)) }
}

/// Per (day, centre, event), how many items entered and left that state in one commit: summed as changes arrive.
struct DayStateTotals {
    private var index = KeyIndex<DayStateKey>()
    private var totals: [(entries: Int64, exits: Int64)] = []

    var isEmpty: Bool { index.isEmpty }

    mutating func removeAll() {
        index.removeAll()
        totals.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func add(_ key: DayStateKey, entries: Int64, exits: Int64) {
        let slot = index.slot(adding: key)
        if slot == totals.count { totals.append((0, 0)) }
        totals[slot].entries += entries
        totals[slot].exits += exits
    }

    /// Every key with its totals, in the order keys were first added.
    var all: [(key: DayStateKey, entries: Int64, exits: Int64)] {
        index.keys.indices.map { (index.keys[$0], totals[$0].entries, totals[$0].exits) }
    }

    /// These totals and `other`'s added together.
    func adding(_ other: DayStateTotals) -> DayStateTotals {
        var sum = self
        for (key, entries, exits) in other.all { sum.add(key, entries: entries, exits: exits) }
        return sum
    }
}

struct DurationSetKey: Hashable, Comparable, FastHashable {
    var from: UInt8
    var to: UInt8
    var day: UInt32
    var kind: UInt8

    var key: Key { DurationHistograms.key(from: from, to: to, day: day, kind: kind) }

    var fastHash: UInt64 { FastHash.mix(UInt64(day) << 32 | UInt64(from) << 16 | UInt64(to) << 8 | UInt64(kind)) }

    static func < (lhs: DurationSetKey, rhs: DurationSetKey) -> Bool {
        (lhs.from, lhs.to, lhs.day, lhs.kind) < (rhs.from, rhs.to, rhs.day, rhs.kind)
    }
}

struct CurrentKey: Hashable, Comparable, FastHashable {
    var event: Event
    var day: UInt32

    static func < (lhs: CurrentKey, rhs: CurrentKey) -> Bool { (lhs.event, lhs.day) < (rhs.event, rhs.day) }

    var fastHash: UInt64 { FastHash.mix(UInt64(day) << 8 | UInt64(event.rawValue)) }
}

/// A day of `touched`.
struct TouchedDayKey: Hashable, Comparable, FastHashable {
    var day: UInt32

    static func < (lhs: TouchedDayKey, rhs: TouchedDayKey) -> Bool { lhs.day < rhs.day }

    var fastHash: UInt64 { FastHash.mix(UInt64(day)) }
}

/// An item entering (or leaving) one (event, day) list of current states.
struct CurrentChange {
    var record: CurrentRecord
    var isAdd: Bool
}

/// Every index change of one commit, collected by database key so that each key is read, changed and written once.
struct CommitDeltas {
    var cells = DeltaTable<CellKey, CellChange>()
    var dayStates = DayStateTotals()
    /// Per histogram set, its count changes packed by ``DurationChange``: sorting the integers groups them by
    /// (key, bin) with no comparator closure.
    var durations = DeltaTable<DurationSetKey, UInt64>()
    var current = DeltaTable<CurrentKey, CurrentChange>()
    /// Per day, `item << 8 | events` for each item whose events that day changed (events only ever gain bits).
    var touched = DeltaTable<TouchedDayKey, UInt64>()

    mutating func removeAll() {
        cells.removeAll()
        dayStates.removeAll()
        durations.removeAll()
        current.removeAll()
        touched.removeAll()
    }

    /// The changes grouped by key (on the worker's thread, once its blocks are done).
    func grouped() -> GroupedDeltas {
        GroupedDeltas(
            cells: cells.grouped(), dayStates: dayStates, durations: durations.grouped(), current: current.grouped(),
            touched: touched.grouped())
    }

    /// Applies `facts(after) − facts(before)` for one item.
    ///
    /// `origin[p]` is the index in `before`'s timeline of the scan at position `p` of `after`'s, or -1 for a scan
    /// this commit inserts. Scans are never deleted, so every old scan appears in `origin`.
    ///
    /// The facts are read, not changed: they are `inout` because the block worker keeps them in stored properties,
    /// and passing those by value would retain and release each of their five arrays per item.
    mutating func apply(before: inout TimelineFacts, after: inout TimelineFacts, origin: inout [Int], item: UInt32) {
        for position in 0..<after.count {
            let old = origin[position]
            if old >= 0 {
                if before.records[old] == after.records[position] && before.cellKeys[old] == after.cellKeys[position] { continue }
                record(before.cellKeys[old], before.records[old], sign: -1)
            }
            record(after.cellKeys[position], after.records[position], sign: 1)
        }
        let changedPairs = before.pairMask | after.pairMask
        if changedPairs != 0 {
            for slot in 0..<(Event.count * Event.count) where changedPairs & (1 << UInt64(slot)) != 0 {
                let inBefore = before.pairMask & (1 << UInt64(slot)) != 0
                let inAfter = after.pairMask & (1 << UInt64(slot)) != 0
                if inBefore && inAfter && before.pairs[slot] == after.pairs[slot] { continue }
                if inBefore { pair(slot, before.pairs[slot], sign: -1) }
                if inAfter { pair(slot, after.pairs[slot], sign: 1) }
            }
        }
        if before.currentEvent != after.currentEvent || before.currentDay != after.currentDay || before.current != after.current {
            if let event = before.currentEvent {
                current.add(CurrentKey(event: event, day: before.currentDay), CurrentChange(record: before.current, isAdd: false))
            }
            if let event = after.currentEvent {
                current.add(CurrentKey(event: event, day: after.currentDay), CurrentChange(record: after.current, isAdd: true))
            }
        }
        var oldIndex = 0
        for (position, day) in after.days.enumerated() {
            while oldIndex < before.days.count && before.days[oldIndex] < day { oldIndex += 1 }
            let events = after.dayEvents[position]
            if oldIndex < before.days.count && before.days[oldIndex] == day && before.dayEvents[oldIndex] == events { continue }
            touched.add(TouchedDayKey(day: day), UInt64(item) << 8 | UInt64(events))
        }
    }

    private mutating func record(_ key: CellKey, _ record: CellRecord, sign: Int64) {
        cells.add(key, CellChange(record: record, isAdd: sign > 0))
        dayStates.add(DayStateKey(day: key.day, center: key.center, event: record.event), entries: sign, exits: 0)
        if let previous = record.previousEvent {
            dayStates.add(DayStateKey(day: key.day, center: record.previousCenter, event: previous), entries: 0, exits: sign)
        }
    }

    private mutating func pair(_ slot: Int, _ fact: PairFact, sign: Int64) {
        let from = UInt8(slot / Event.count)
        let to = UInt8(slot % Event.count)
        let bin = UInt16(DurationBins.bin(fact.durationMilliseconds))
        let isAdd = sign > 0
        durations.add(
            DurationSetKey(from: from, to: to, day: fact.day, kind: DurationHistograms.byCenter),
            DurationChange.pack(key: fact.center, bin: bin, isAdd: isAdd))
        durations.add(
            DurationSetKey(from: from, to: to, day: fact.day, kind: DurationHistograms.byMessenger),
            DurationChange.pack(key: fact.messenger, bin: bin, isAdd: isAdd))
    }
}

/// One duration histogram's count change as one integer, `key << 17 | bin << 1 | (+1 ? 1 : 0)`: integers sort as
/// (key, bin) pairs, and a change's group (its histogram cell) is the integer shifted right once.
///
/// The bits sit as low as they fit because the radix sort passes only over 11-bit digits whose bits vary: bins take
/// 12 bits and keys (centre or messenger ids) rarely more than 12, so a change takes 3 passes, where a key at bit 32
/// would leave a digit straddling bit 32 and take 4 or 5.
enum DurationChange {
    @inline(__always)
    static func pack(key: UInt32, bin: UInt16, isAdd: Bool) -> UInt64 {
        UInt64(key) << 17 | UInt64(bin) << 1 | (isAdd ? 1 : 0)
    }

    /// The histogram cell of a packed change: equal for the changes of one (key, bin).
    @inline(__always)
    static func group(_ packed: UInt64) -> UInt64 { packed >> 1 }

    @inline(__always)
    static func isAdd(_ packed: UInt64) -> Bool { packed & 1 == 1 }

    @inline(__always)
    static func key(ofGroup group: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: group >> 16) }

    @inline(__always)
    static func bin(ofGroup group: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: group) }
}

/// One block worker's index changes grouped by key, keys ascending.
struct GroupedDeltas {
    var cells = DeltaTable<CellKey, CellChange>.Grouped()
    var dayStates = DayStateTotals()
    var durations = DeltaTable<DurationSetKey, UInt64>.Grouped()
    var current = DeltaTable<CurrentKey, CurrentChange>.Grouped()
    var touched = DeltaTable<TouchedDayKey, UInt64>.Grouped()

    /// Both sets of changes (the two block workers'), seen as one: only the small day-state totals are copied.
    func merged(with other: GroupedDeltas) -> MergedDeltas {
        MergedDeltas(
            cells: .init(cells, other.cells), dayStates: dayStates.adding(other.dayStates), durations: .init(durations, other.durations),
            current: .init(current, other.current), touched: .init(touched, other.touched))
    }
}

/// A commit's index changes, both block workers' together, keys ascending: what the writer applies.
struct MergedDeltas {
    var cells = DeltaTable<CellKey, CellChange>.Merged()
    var dayStates = DayStateTotals()
    var durations = DeltaTable<DurationSetKey, UInt64>.Merged()
    var current = DeltaTable<CurrentKey, CurrentChange>.Merged()
    var touched = DeltaTable<TouchedDayKey, UInt64>.Merged()
}
