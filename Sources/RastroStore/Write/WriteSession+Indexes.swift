import RastroCore
import RastroPrimitives

extension WriteSession {
    /// Days this far behind the newest are cold: their cells are written sealed.
    static var coldDays: UInt32 { 7 }

    /// Copies the stored values of every `cells`, `current` and `durations` key this commit changes out of the map,
    /// for ``IndexWork`` to merge on the helper thread.
    mutating func prepareIndexWork() throws -> IndexWork {
        let deltas = buffers.deltas
        let cellKeys = deltas.cells.keys
        if let newest = cellKeys.last?.day { counters.newestDay = max(counters.newestDay, newest) }
        var groups: [IndexWork.CellGroup] = []
        var start = 0
        while start < cellKeys.count {
            let day = cellKeys[start].day
            let center = cellKeys[start].center
            var end = start
            while end < cellKeys.count && cellKeys[end].day == day && cellKeys[end].center == center { end += 1 }
            let stored = try transaction.withValue(databases.cells, Cell.key(day: day, center: center)) { Array($0) }
            groups.append(IndexWork.CellGroup(day: day, center: center, keys: start..<end, stored: stored))
            start = end
        }
        let storedCurrent = try deltas.current.keys.map { key in
            try transaction.withValue(databases.current, CurrentStates.key(event: key.event, day: key.day)) { Array($0) }
        }
        let storedDurations = try deltas.durations.keys.map { key in
            try transaction.withValue(databases.durations, key.key) { Array($0) }
        }
        return IndexWork(
            cells: deltas.cells, cellGroups: groups,
            coldBelowDay: counters.newestDay > Self.coldDays ? counters.newestDay - Self.coldDays : 0,
            durations: deltas.durations, storedDurations: storedDurations, current: deltas.current, storedCurrent: storedCurrent)
    }

    /// Writes what ``IndexWork`` computed, once both threads are done with it.
    mutating func storeIndexWork(_ work: IndexWork, _ participants: [IndexWork.Participant]) throws {
        for participant in participants {
            if let failure = participant.failure { throw failure }
            phases.indexes[.cells] += participant.seconds.cells
            phases.indexes[.durations] += participant.seconds.durations
            phases.indexes[.currentStates] += participant.seconds.current
        }
        for number in 0..<work.results.count {
            let result = work.results[number]
            let database: Database
            switch work.job(number) {
            case .cells:
                database = databases.cells
                // `cellsums` go beside the cells, never sealed: whole-day reports read every day's, which are small.
                switch result.action {
                case .put: try transaction.put(databases.cellSummaries, result.key, result.summaries)
                case .delete: _ = try transaction.delete(databases.cellSummaries, result.key)
                case .none: break
                }
            case .durations: database = databases.durations
            case .current: database = databases.current
            }
            switch result.action {
            case .put: try transaction.put(database, result.key, result.value)
            case .delete: _ = try transaction.delete(database, result.key)
            case .none: break
            }
        }
        buffers.deltas = MergedDeltas()
    }

    mutating func applyDayStateDeltas() throws {
        var byDay: [UInt32: [(DayStateKey, (entries: Int64, exits: Int64))]] = [:]
        for (key, entries, exits) in buffers.deltas.dayStates.all where entries != 0 || exits != 0 {
            byDay[key.day, default: []].append((key, (entries, exits)))
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

    mutating func applyTouchedDeltas() throws {
        let touched = buffers.deltas.touched
        for (index, key) in touched.keys.enumerated() {
            let day = key.day
            var added = touched.changes(of: index)
            RadixSort.sort(&added, scratch: &buffers.sortScratch)
            var items: [UInt64] = []
            try transaction.withValue(databases.touched, Key.uint32(day)) { try TouchedItems.decode($0, into: &items) }
            items = TouchedItems.merge(items, added)
            buffers.writer.removeAll()
            TouchedItems.encode(items, into: buffers.writer)
            try transaction.put(databases.touched, Key.uint32(day), buffers.writer)
        }
    }
}
