import RastroCore
import RastroPrimitives
import Synchronization

/// The CPU part of a commit's `cells`, `current` and `durations` changes: each changed value's stored content merged
/// with the commit's deltas and encoded again.
///
/// It touches no LMDB. The writer copies the stored values in before (``WriteSession/prepareIndexWork()``) and writes
/// the results after (``WriteSession/storeIndexWork(_:)``). The helper thread starts on it while the writer applies
/// the other indexes, writes the dedup ranges and the names and seals cold blocks; then the writer joins in. The two
/// take values from a shared counter, as the block workers do, so neither waits while the other has work left.
final class IndexWork: @unchecked Sendable {
    // @unchecked Sendable: its inputs are fixed before the helper starts; each value is claimed through the atomic
    // `next` by exactly one participant, which alone writes that value's result.
    /// The cells stored under one (day, centre) key and the range of ``cellKeys`` (one per messenger) changing them.
    struct CellGroup {
        var day: UInt32
        var center: UInt32
        var keys: Range<Int>
        var stored: [UInt8]?
    }

    /// What to do with one key.
    struct Result {
        enum Action { case none, put, delete }
        var action = Action.none
        var key = Key()
        var value: [UInt8] = []
        /// For cells, the `cellsums` value written beside them.
        var summaries: [UInt8] = []
    }

    /// Records to remove from one current-state list, and which were found.
    final class Removals {
        var index = KeyIndex<CurrentRecord>()
        var found: [Bool] = []
    }

    /// One thread's scratch space and findings.
    final class Participant: @unchecked Sendable {
        // @unchecked Sendable: each participant is used by one thread per commit (the writer's or the helper's).
        let writer = ByteWriter(reservingCapacity: 64 << 10)
        let encoded = ByteWriter(reservingCapacity: 64 << 10)
        let summaries = ByteWriter(reservingCapacity: 16 << 10)
        var decompressed: [UInt8] = []
        var sortScratch: [UInt64] = []
        var timeKeys: [UInt64] = []
        /// One histogram set's packed changes, reused from set to set.
        var durationChanges: [UInt64] = []
        var zone: SiteTimeZone
        let zstd: Zstd
        var failure: (any Error)? = nil
        /// The current-state records a value loses, reused from value to value.
        let removals = Removals()
        /// Seconds spent on cells, durations and current states (profiling: `rastro import --phases`).
        var seconds = (cells: 0.0, durations: 0.0, current: 0.0)

        init(zone: SiteTimeZone, zstd: Zstd) {
            self.zone = zone
            self.zstd = zstd
        }

        /// Forgets the previous commit's findings.
        func reset() {
            failure = nil
            seconds = (0, 0, 0)
        }
    }

    // Inputs, read-only once the work starts. Jobs are numbered cells first (one per stored key: a day and a
    // centre), then durations, then current states (one per key). `stored…` are the keys' values before this commit.
    let cells: DeltaTable<CellKey, CellChange>.Merged
    let cellGroups: [CellGroup]
    /// Cells of days before this one are written sealed.
    let coldBelowDay: UInt32
    let durations: DeltaTable<DurationSetKey, UInt64>.Merged
    let storedDurations: [[UInt8]?]
    let current: DeltaTable<CurrentKey, CurrentChange>.Merged
    let storedCurrent: [[UInt8]?]
    let jobCount: Int

    /// One slot per job, each written by the thread that took the job.
    let results: JobSlots<Result>
    private let next = Atomic<Int>(0)

    init(
        cells: DeltaTable<CellKey, CellChange>.Merged, cellGroups: [CellGroup], coldBelowDay: UInt32,
        durations: DeltaTable<DurationSetKey, UInt64>.Merged, storedDurations: [[UInt8]?],
        current: DeltaTable<CurrentKey, CurrentChange>.Merged, storedCurrent: [[UInt8]?]
    ) {
        self.cells = cells
        self.cellGroups = cellGroups
        self.coldBelowDay = coldBelowDay
        self.durations = durations
        self.storedDurations = storedDurations
        self.current = current
        self.storedCurrent = storedCurrent
        jobCount = cellGroups.count + durations.keys.count + current.keys.count
        results = JobSlots(count: jobCount, filler: Result())
    }

    /// Which database a job writes, and its index among that database's keys (cell groups for `cells`).
    enum Job {
        case cells(Int)
        case durations(Int)
        case current(Int)
    }

    func job(_ number: Int) -> Job {
        if number < cellGroups.count { return .cells(number) }
        let duration = number - cellGroups.count
        return duration < durations.keys.count ? .durations(duration) : .current(duration - durations.keys.count)
    }

    /// Takes jobs until none are left or one fails.
    func work(as participant: Participant) {
        var clock = Stopwatch.now()
        while participant.failure == nil {
            let number = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard number < jobCount else { break }
            let job = job(number)
            do {
                switch job {
                case .cells(let group): results[number] = try cell(cellGroups[group], participant)
                case .durations(let set): results[number] = try duration(set, participant)
                case .current(let key): results[number] = try current(key, participant)
                }
            } catch {
                participant.failure = error
            }
            let now = Stopwatch.now()
            switch job {
            case .cells: participant.seconds.cells += now - clock
            case .durations: participant.seconds.durations += now - clock
            case .current: participant.seconds.current += now - clock
            }
            clock = now
        }
    }

    /// One (day, centre): everyone's stored records there, with this commit's removals and additions.
    private func cell(_ group: CellGroup, _ participant: Participant) throws -> Result {
        let dayStart = participant.zone.startOfDay(Int32(group.day))
        var people: [UInt32: [CellRecord]] = [:]
        if let stored = group.stored {
            do {
                try stored.withByteView { value in
                    try SealedValue.withPayload(value, zstd: participant.zstd, scratch: &participant.decompressed) { payload in
                        try Cell.decode(payload, center: group.center, dayStart: dayStart, wantRecords: true) { messenger, _, records in
                            people[messenger] = records
                        }
                    }
                }
            } catch let error as StoreCorruption {
                throw error.located("cells", "day \(group.day) centre \(group.center)")
            }
        }
        for index in group.keys {
            let cellKey = cells.keys[index]
            var records = people[cellKey.messenger] ?? []
            var adds: [CellRecord] = []
            try cells.forEachChange(of: index) { change in
                if change.isAdd {
                    adds.append(change.record)
                    return
                }
                guard let position = Self.search(records, change.record) else {
                    throw StoreCorruption("cells[\(cellKey)]: a record to replace is missing")
                }
                records.remove(at: position)
            }
            Self.sortByTime(&adds, keys: &participant.timeKeys, scratch: &participant.sortScratch) { $0.time }
            people[cellKey.messenger] = Self.mergeSorted(records, adds)
        }
        let key = Cell.key(day: group.day, center: group.center)
        let ordered = people.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { (messenger: $0.key, records: $0.value) }
        if ordered.isEmpty { return Result(action: .delete, key: key) }
        let (writer, encoded, summaries) = (participant.writer, participant.encoded, participant.summaries)
        writer.removeAll()
        summaries.removeAll()
        Cell.encode(ordered, center: group.center, dayStart: dayStart, into: writer, scratch: encoded, summaries: summaries)
        SealedValue.encode(writer, into: encoded, zstd: group.day < coldBelowDay ? participant.zstd : nil)
        return Result(action: .put, key: key, value: encoded.bytes, summaries: summaries.bytes)
    }

    /// One histogram set: its stored counts plus this commit's, sorted and summed per (key, bin).
    private func duration(_ set: Int, _ participant: Participant) throws -> Result {
        let setKey = durations.keys[set]
        durations.copyChanges(of: set, into: &participant.durationChanges)
        RadixSort.sort(&participant.durationChanges, scratch: &participant.sortScratch)
        let packed = participant.durationChanges
        var combined: [HistogramCell] = []
        combined.reserveCapacity(packed.count)
        var index = 0
        while index < packed.count {
            let group = DurationChange.group(packed[index])
            var count: Int64 = 0
            while index < packed.count && DurationChange.group(packed[index]) == group {
                count += DurationChange.isAdd(packed[index]) ? 1 : -1
                index += 1
            }
            if count != 0 {
                combined.append(
                    HistogramCell(key: DurationChange.key(ofGroup: group), bin: DurationChange.bin(ofGroup: group), count: count))
            }
        }
        if combined.isEmpty { return Result() }
        var storedCells: [HistogramCell] = []
        if let stored = storedDurations[set] { try stored.withByteView { try DurationHistograms.decode($0, into: &storedCells) } }
        let merged = try DurationHistograms.merge(storedCells, combined)
        if merged.isEmpty { return Result(action: .delete, key: setKey.key) }
        participant.writer.removeAll()
        DurationHistograms.encode(merged, into: participant.writer)
        return Result(action: .put, key: setKey.key, value: participant.writer.bytes)
    }

    /// One (event, day) list of items in that state: the stored list without the items that left it, plus those
    /// that entered.
    private func current(_ index: Int, _ participant: Participant) throws -> Result {
        let currentKey = current.keys[index]
        let dayStart = participant.zone.startOfDay(Int32(currentKey.day))
        let key = CurrentStates.key(event: currentKey.event, day: currentKey.day)
        var records: [CurrentRecord] = []
        if let stored = storedCurrent[index] { try stored.withByteView { try CurrentStates.decode($0, dayStart: dayStart, into: &records) } }
        var adds: [CurrentRecord] = []
        var removes: [CurrentRecord] = []
        current.forEachChange(of: index) { change in
            if change.isAdd { adds.append(change.record) } else { removes.append(change.record) }
        }
        if !removes.isEmpty {
            // Each distinct removal takes out one equal record; every one must be found.
            let removals = participant.removals
            removals.index.removeAll()
            for record in removes { _ = removals.index.slot(adding: record) }
            removals.found.removeAll(keepingCapacity: true)
            removals.found.append(contentsOf: repeatElement(false, count: removals.index.count))
            records.removeAll { record in
                guard let slot = removals.index.slot(of: record), !removals.found[slot] else { return false }
                removals.found[slot] = true
                return true
            }
            guard !removals.found.contains(false) else {
                throw StoreCorruption("current[\(currentKey.event.code), \(currentKey.day)]: a state to replace is missing")
            }
        }
        Self.sortByTime(&adds, keys: &participant.timeKeys, scratch: &participant.sortScratch) { $0.time }
        records = Self.mergeSorted(records, adds)
        if records.isEmpty { return Result(action: .delete, key: key) }
        participant.writer.removeAll()
        CurrentStates.encode(records, dayStart: dayStart, into: participant.writer)
        return Result(action: .put, key: key, value: participant.writer.bytes)
    }

    /// The index of an element equal to `target` in a sorted array.
    static func search<Element: Comparable>(_ sorted: [Element], _ target: Element) -> Int? {
        let low = sorted.partitioningIndex { !($0 < target) }
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
