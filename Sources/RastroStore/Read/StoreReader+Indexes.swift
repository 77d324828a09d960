import RastroCore

/// Reads of the derived indexes, one key range at a time. Values are decoded into fresh arrays: nothing from the
/// map escapes the read transaction.
extension StoreReader {
    /// Calls `body` for every cell (one person, one centre, one day) with a day in `days`, in key order (day,
    /// centre, messenger). With `records`, the records are decoded too (the array is reused between calls);
    /// otherwise only the summary.
    public func forEachCell(
        days: Range<UInt32>, records wantRecords: Bool,
        _ body: (CellKey, CellSummary, [CellRecord]) throws -> Void
    ) throws {
        var scratch = self.scratch
        defer { self.scratch = scratch }
        let zstd = self.zstd
        try transaction.withCursor(databases.cells) { cursor in
            try cursor.forEach(from: Key.uint32(days.lowerBound), before: Key.uint32(days.upperBound)) { entry in
                guard entry.key.count == 8 else { throw StoreCorruption("cells: a key of \(entry.key.count) bytes") }
                let day = UInt32(bigEndian: entry.key.load(at: 0, as: UInt32.self))
                let center = UInt32(bigEndian: entry.key.load(at: 4, as: UInt32.self))
                let dayStart = zone.startOfDay(Int32(day))
                do {
                    try SealedValue.withPayload(entry.value, zstd: zstd, scratch: &scratch) { payload in
                        try Cell.decode(payload, center: center, dayStart: dayStart, wantRecords: wantRecords) { messenger, summary, records in
                            try body(CellKey(day: day, center: center, messenger: messenger), summary, records)
                        }
                    }
                } catch let error as StoreCorruption {
                    throw error.located("cells", "day \(day) centre \(center)")
                }
                return true
            }
        }
    }

    /// Calls `body` with the summaries of every (day, centre) in `days`, in key order, from the small `cellsums`
    /// values: first the centre's whole day (messenger 0), then, with `people`, each person's. Whole-day reports
    /// never touch the records; reports by centre or reason read only the totals.
    public func forEachCellSummary(
        days: Range<UInt32>, people: Bool = true, _ body: (CellKey, CellSummary) throws -> Void
    ) throws {
        var zone = self.zone
        defer { self.zone = zone }
        var summary = CellSummary()
        try transaction.withCursor(databases.cellSummaries) { cursor in
            try cursor.forEach(from: Key.uint32(days.lowerBound), before: Key.uint32(days.upperBound)) { entry in
                guard entry.key.count == 8 else { throw StoreCorruption("cellsums: a key of \(entry.key.count) bytes") }
                let day = UInt32(bigEndian: entry.key.load(at: 0, as: UInt32.self))
                let center = UInt32(bigEndian: entry.key.load(at: 4, as: UInt32.self))
                do {
                    try Cell.decodeSummaries(entry.value, dayStart: zone.startOfDay(Int32(day)), people: people, into: &summary) {
                        messenger, summary in
                        try body(CellKey(day: day, center: center, messenger: messenger), summary)
                    }
                } catch let error as StoreCorruption {
                    throw error.located("cellsums", "day \(day) centre \(center)")
                }
                return true
            }
        }
    }

    /// The state entries and exits of each (work centre, event) on `day`.
    public func dayStates(_ day: UInt32) throws -> [DayStateEntry] {
        var entries: [DayStateEntry] = []
        try transaction.withValue(databases.dayStates, Key.uint32(day)) { try DayStates.decode($0, into: &entries) }
        return entries
    }

    /// Calls `body` for each day with state changes in `days`, in order.
    public func forEachDayStates(days: Range<UInt32>, _ body: (UInt32, [DayStateEntry]) throws -> Void) throws {
        try transaction.withCursor(databases.dayStates) { cursor in
            try cursor.forEach(from: Key.uint32(days.lowerBound), before: Key.uint32(days.upperBound)) { entry in
                var entries: [DayStateEntry] = []
                try DayStates.decode(entry.value, into: &entries)
                try body(UInt32(bigEndian: entry.key.load(at: 0, as: UInt32.self)), entries)
                return true
            }
        }
    }

    /// The duration histograms of (from, to, kind) for each day in `days`: a flat list of cells per day.
    public func forEachDurationSet(
        from: Event, to: Event, kind: UInt8, days: Range<UInt32>, _ body: (UInt32, [HistogramCell]) throws -> Void
    ) throws {
        try transaction.withCursor(databases.durations) { cursor in
            let start = DurationHistograms.key(from: from.rawValue, to: to.rawValue, day: days.lowerBound, kind: 0)
            let end = DurationHistograms.key(from: from.rawValue, to: to.rawValue, day: days.upperBound, kind: 0)
            try cursor.forEach(from: start, before: end) { entry in
                guard entry.key.count == 7, entry.key[6] == kind else { return true }
                let day = UInt32(bigEndian: entry.key.load(at: 2, as: UInt32.self))
                var cells: [HistogramCell] = []
                try DurationHistograms.decode(entry.value, into: &cells)
                try body(day, cells)
                return true
            }
        }
    }

    /// Items whose latest scan is `event`, for each local day in `days`, oldest day first.
    public func forEachCurrent(event: Event, days: Range<UInt32>, _ body: (UInt32, [CurrentRecord]) throws -> Void) throws {
        var zone = self.zone
        defer { self.zone = zone }
        try transaction.withCursor(databases.current) { cursor in
            try cursor.forEach(
                from: CurrentStates.key(event: event, day: days.lowerBound),
                before: CurrentStates.key(event: event, day: days.upperBound)
            ) { entry in
                let day = UInt32(bigEndian: entry.key.load(at: 1, as: UInt32.self))
                var records: [CurrentRecord] = []
                try CurrentStates.decode(entry.value, dayStart: zone.startOfDay(Int32(day)), into: &records)
                try body(day, records)
                return true
            }
        }
    }

    /// Calls `body` with every item whose latest scan is at or after `notBefore` (any event) and on or before the
    /// local day `lastDay`, from the `current` lists of the days from that instant's day through `lastDay`.
    public func forEachItemScannedSince(
        _ notBefore: Int64, throughDay lastDay: UInt32 = .max, _ body: (UInt32) -> Void
    ) throws {
        guard let stored = try dayRange() else { return }
        var zone = self.zone
        defer { self.zone = zone }
        let first = UInt32(clamping: max(0, Int64(zone.day(ofUTC: notBefore))))
        let last = min(stored.upperBound, lastDay)
        guard first <= last else { return }
        for event in Event.allCases {
            try transaction.withCursor(databases.current) { cursor in
                try cursor.forEach(
                    from: CurrentStates.key(event: event, day: first),
                    before: CurrentStates.key(event: event, day: last + 1)
                ) { entry in
                    let day = UInt32(bigEndian: entry.key.load(at: 1, as: UInt32.self))
                    try CurrentStates.forEachItem(entry.value, dayStart: zone.startOfDay(Int32(day)), notBefore: notBefore, body)
                    return true
                }
            }
        }
    }

    /// The items scanned on each local day in `days`, sorted.
    public func forEachTouched(days: Range<UInt32>, _ body: (UInt32, [UInt32]) throws -> Void) throws {
        try forEachTouchedEvents(days: days) { day, packed in try body(day, packed.map { UInt32(truncatingIfNeeded: $0 >> 8) }) }
    }

    /// The items scanned on each local day in `days`, sorted, as `item << 8 | events` (bit `event` set when the item
    /// was scanned with that event that day).
    public func forEachTouchedEvents(days: Range<UInt32>, _ body: (UInt32, [UInt64]) throws -> Void) throws {
        try transaction.withCursor(databases.touched) { cursor in
            try cursor.forEach(from: Key.uint32(days.lowerBound), before: Key.uint32(days.upperBound)) { entry in
                var items: [UInt64] = []
                try TouchedItems.decode(entry.value, into: &items)
                try body(UInt32(bigEndian: entry.key.load(at: 0, as: UInt32.self)), items)
                return true
            }
        }
    }

    /// Every device's stored seq ranges.
    public func forEachSeqRanges(_ body: (UInt32, SeqRanges) throws -> Void) throws {
        try transaction.withCursor(databases.seqs) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                var ranges = SeqRanges()
                try ranges.decode(current.value)
                try body(UInt32(bigEndian: current.key.load(at: 0, as: UInt32.self)), ranges)
                entry = try cursor.next()
            }
        }
    }

    /// The first and last local days that have any cell, or `nil` for an empty store.
    public func dayRange() throws -> ClosedRange<UInt32>? {
        try transaction.withCursor(databases.cells) { cursor -> ClosedRange<UInt32>? in
            guard let first = try cursor.first() else { return nil }
            let firstDay = UInt32(bigEndian: first.key.load(at: 0, as: UInt32.self))
            guard let last = try cursor.last() else { return nil }
            return firstDay...UInt32(bigEndian: last.key.load(at: 0, as: UInt32.self))
        }
    }
}
