import RastroCore

extension WriteSession {
    /// Applies the commit's accumulated index changes: each database key is read, changed and written once.
    mutating func applyIndexDeltas() throws {
        var clock = IngestPhases.now()
        func lap(_ part: Int) {
            let now = IngestPhases.now()
            phases.indexParts[part] += now - clock
            clock = now
        }
        // Durations need the transaction only to read their old values and write the new ones: the merging and
        // encoding in between runs on the helper thread while this one applies the other indexes.
        let durations = try readDurationSets()
        let durationWork = DurationWork(sets: durations, deltas: buffers.deltas.durations)
        var failure: (any Error)? = nil
        try store.helper.run(background: { durationWork.compute() }) {
            do {
                try applyCellDeltas()
                lap(0)
                try applyDayStateDeltas()
                lap(1)
                try applyCurrentDeltas()
                lap(3)
                try applyTouchedDeltas()
                lap(4)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        if let failure = durationWork.failure { throw failure }
        for (key, value) in zip(durationWork.keys, durationWork.values) {
            if let value {
                try transaction.put(databases.durations, key.key, value)
            } else {
                try transaction.delete(databases.durations, key.key)
            }
        }
        lap(2)
        buffers.deltas.removeAll()
    }

    /// Days this far behind the newest are cold: their cells are written sealed.
    static var coldDays: UInt32 { 7 }

    mutating func applyCellDeltas() throws {
        let keys = buffers.deltas.cells.keys.sorted()
        if let newest = keys.last?.day { counters.newestDay = max(counters.newestDay, newest) }
        let zstd = store.writerZstd
        var start = 0
        while start < keys.count {
            let day = keys[start].day
            let center = keys[start].center
            var end = start
            while end < keys.count && keys[end].day == day && keys[end].center == center { end += 1 }
            let dayStart = zone.startOfDay(Int32(day))
            let storageKey = Cell.key(day: day, center: center)
            // Everyone's records at this centre that day, then this commit's changes.
            var people: [UInt32: [CellRecord]] = [:]
            var scratch = buffers.decompressed
            try transaction.withValue(databases.cells, storageKey) { value in
                do {
                    try SealedValue.withPayload(value, zstd: zstd, scratch: &scratch) { payload in
                        try Cell.decode(payload, center: center, dayStart: dayStart, wantRecords: true) { messenger, _, records in
                            people[messenger] = records
                        }
                    }
                } catch let error as StoreCorruption {
                    throw error.located("cells", "day \(day) centre \(center)")
                }
            }
            buffers.decompressed = scratch
            for cellKey in keys[start..<end] {
                var delta = buffers.deltas.cells[cellKey]!
                var records = people[cellKey.messenger] ?? []
                for record in delta.removes {
                    guard let position = Self.search(records, record) else {
                        throw StoreCorruption("cells[\(cellKey)]: a record to replace is missing")
                    }
                    records.remove(at: position)
                }
                delta.adds.sort()
                people[cellKey.messenger] = Self.mergeSorted(records, delta.adds)
            }
            let ordered = people.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { (messenger: $0.key, records: $0.value) }
            if ordered.isEmpty {
                try transaction.delete(databases.cells, storageKey)
                _ = try transaction.delete(databases.cellSummaries, storageKey)
            } else {
                let payload = buffers.writer
                payload.removeAll()
                let summaries = buffers.summaries
                summaries.removeAll()
                Cell.encode(ordered, center: center, dayStart: dayStart, into: payload, scratch: buffers.encoded, summaries: summaries)
                let cold = day &+ Self.coldDays < counters.newestDay
                SealedValue.encode(payload, into: buffers.encoded, zstd: cold ? zstd : nil)
                try transaction.put(databases.cells, storageKey, buffers.encoded)
                // Never sealed: whole-day reports read every day's summaries, which are small.
                try transaction.put(databases.cellSummaries, storageKey, summaries)
            }
            start = end
        }
    }

    mutating func applyDayStateDeltas() throws {
        var byDay: [UInt32: [(DayStateKey, (entries: Int64, exits: Int64))]] = [:]
        for (key, delta) in buffers.deltas.dayStates where delta.entries != 0 || delta.exits != 0 {
            byDay[key.day, default: []].append((key, delta))
        }
        for day in byDay.keys.sorted() {
            var entries: [DayStateEntry] = []
            try transaction.withValue(databases.dayStates, Key.uint32(day)) { try DayStates.decode($0, into: &entries) }
            var positions: [UInt64: Int] = [:]
            for (index, entry) in entries.enumerated() { positions[entry.sortKey] = index }
            for (key, delta) in byDay[day]! {
                let sortKey = UInt64(key.center) << 8 | UInt64(key.event.rawValue)
                if let index = positions[sortKey] {
                    entries[index].entries += delta.entries
                    entries[index].exits += delta.exits
                } else {
                    positions[sortKey] = entries.count
                    entries.append(DayStateEntry(center: key.center, event: key.event, entries: delta.entries, exits: delta.exits))
                }
            }
            if entries.contains(where: { $0.entries < 0 || $0.exits < 0 }) {
                throw StoreCorruption("daystates[\(day)]: a state count went below zero")
            }
            entries.removeAll { $0.entries == 0 && $0.exits == 0 }
            entries.sort { $0.sortKey < $1.sortKey }
            if entries.isEmpty {
                try transaction.delete(databases.dayStates, Key.uint32(day))
            } else {
                buffers.writer.removeAll()
                DayStates.encode(entries, into: buffers.writer)
                try transaction.put(databases.dayStates, Key.uint32(day), buffers.writer)
            }
        }
    }

    /// The stored bytes of every duration set this commit changes, copied out of the map.
    func readDurationSets() throws -> [(DurationSetKey, [UInt8]?)] {
        try buffers.deltas.durations.keys.sorted().map { key in
            (key, try transaction.withValue(databases.durations, key.key) { Array($0) })
        }
    }

    mutating func applyCurrentDeltas() throws {
        for currentKey in buffers.deltas.current.keys.sorted() {
            var delta = buffers.deltas.current[currentKey]!
            let dayStart = zone.startOfDay(Int32(currentKey.day))
            let key = CurrentStates.key(event: currentKey.event, day: currentKey.day)
            var records: [CurrentRecord] = []
            try transaction.withValue(databases.current, key) {
                try CurrentStates.decode($0, dayStart: dayStart, into: &records)
            }
            if !delta.removes.isEmpty {
                var removals = Set(delta.removes)
                records.removeAll { removals.remove($0) != nil }
                guard removals.isEmpty else {
                    throw StoreCorruption("current[\(currentKey.event.code), \(currentKey.day)]: a state to replace is missing")
                }
            }
            delta.adds.sort()
            records = Self.mergeSorted(records, delta.adds)
            if records.isEmpty {
                try transaction.delete(databases.current, key)
            } else {
                buffers.writer.removeAll()
                CurrentStates.encode(records, dayStart: dayStart, into: buffers.writer)
                try transaction.put(databases.current, key, buffers.writer)
            }
        }
    }

    mutating func applyTouchedDeltas() throws {
        for day in buffers.deltas.touched.keys.sorted() {
            var added = buffers.deltas.touched[day]!
            RadixSort.sort(&added, scratch: &buffers.sortScratch)
            var items: [UInt64] = []
            try transaction.withValue(databases.touched, Key.uint32(day)) { try TouchedItems.decode($0, into: &items) }
            items = TouchedItems.merge(items, added)
            buffers.writer.removeAll()
            TouchedItems.encode(items, into: buffers.writer)
            try transaction.put(databases.touched, Key.uint32(day), buffers.writer)
        }
    }

    /// The index of an element equal to `target` in a sorted array.
    static func search<Element: Comparable>(_ sorted: [Element], _ target: Element) -> Int? {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && sorted[low] == target ? low : nil
    }

    /// Merges two sorted arrays.
    static func mergeSorted<Element: Comparable>(_ left: [Element], _ right: [Element]) -> [Element] {
        if right.isEmpty { return left }
        if left.isEmpty { return right }
        if let last = left.last, let first = right.first, !(first < last) { return left + right }
        var result: [Element] = []
        result.reserveCapacity(left.count + right.count)
        var leftIndex = 0
        var rightIndex = 0
        while leftIndex < left.count && rightIndex < right.count {
            if right[rightIndex] < left[leftIndex] {
                result.append(right[rightIndex])
                rightIndex += 1
            } else {
                result.append(left[leftIndex])
                leftIndex += 1
            }
        }
        result.append(contentsOf: left[leftIndex...])
        result.append(contentsOf: right[rightIndex...])
        return result
    }
}

/// Merges a commit's duration deltas into their stored histogram sets and encodes the results; no LMDB access, so it
/// runs on the helper thread.
final class DurationWork: @unchecked Sendable {
    let sets: [(DurationSetKey, [UInt8]?)]
    let deltas: [DurationSetKey: [UInt64]]
    var keys: [DurationSetKey] = []
    /// The new value per key, or `nil` to delete it.
    var values: [[UInt8]?] = []
    var failure: (any Error)? = nil

    init(sets: [(DurationSetKey, [UInt8]?)], deltas: [DurationSetKey: [UInt64]]) {
        self.sets = sets
        self.deltas = deltas
    }

    func compute() {
        let writer = ByteWriter(reservingCapacity: 64 << 10)
        var scratch: [UInt64] = []
        do {
            for (key, stored) in sets {
                var packed = deltas[key]!
                RadixSort.sort(&packed, scratch: &scratch)
                var combined: [HistogramCell] = []
                combined.reserveCapacity(packed.count)
                var index = 0
                while index < packed.count {
                    let group = packed[index] >> 1
                    var count: Int64 = 0
                    while index < packed.count && packed[index] >> 1 == group {
                        count += packed[index] & 1 == 1 ? 1 : -1
                        index += 1
                    }
                    if count != 0 {
                        combined.append(HistogramCell(key: UInt32(group >> 31), bin: UInt16(truncatingIfNeeded: group), count: count))
                    }
                }
                if combined.isEmpty { continue }
                var cells: [HistogramCell] = []
                if let stored { try stored.withUnsafeBytes { try DurationHistograms.decode($0, into: &cells) } }
                let merged = try DurationHistograms.merge(cells, combined)
                keys.append(key)
                if merged.isEmpty {
                    values.append(nil)
                } else {
                    writer.removeAll()
                    DurationHistograms.encode(merged, into: writer)
                    values.append(writer.bytes)
                }
            }
        } catch {
            failure = error
        }
    }
}
