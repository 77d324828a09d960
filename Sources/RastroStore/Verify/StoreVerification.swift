import RastroCore
import RastroPrimitives

/// What `rastro verify` found: every value decoded, every index recomputed from the traces and compared.
public struct StoreVerification: Sendable {
    /// One damaged or disagreeing value, named by its database and key.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var database: String
        public var key: String
        public var message: String

        public var description: String { "\(database) \(key): \(message)" }
    }

    /// The first problems found (at most the limit asked for), and how many there were in all.
    public var problems: [Problem] = []
    public var problemCount = 0
    /// Values decoded per database, in the order checked.
    public var values: [(database: String, count: Int)] = []
    public var items = 0
    public var scans = 0
    /// Values written before schema 4, which carry no checksum (they gain one when next rewritten).
    public var uncheckedValues = 0
    public var audit = AuditVerification()

    public var isClean: Bool { problemCount == 0 }
}

extension Store {
    /// Decodes every value of every database and recomputes every index from the traces (docs/storage.md §3), in one
    /// read transaction: a consistent snapshot, taken without waiting for the writer.
    ///
    /// A damaged value is reported with its database and key and the walk goes on; a value whose checksum matches but
    /// disagrees with what the traces imply is reported the same way. `maximumProblems` bounds the problems listed,
    /// not those counted.
    public func verify(maximumProblems: Int = 100) throws -> StoreVerification {
        var verification = try read { reader in
            var verifier = StoreVerifier(reader: reader, maximumProblems: maximumProblems)
            try verifier.run()
            return verifier.result
        }
        verification.audit = try verifyAudit()
        if let broken = verification.audit.broken {
            verification.problemCount += 1
            if verification.problems.count < maximumProblems {
                verification.problems.append(
                    StoreVerification.Problem(
                        database: "audit", key: "record \(broken.index)",
                        message: "the hash chain breaks here (this record, or one before it, was changed, removed or inserted)"))
            }
        }
        return verification
    }
}

/// The walk behind ``Store/verify(maximumProblems:)``: the traces first, deriving every index's facts into
/// fingerprints per stored key, then each index compared key by key.
struct StoreVerifier {
    let reader: StoreReader
    let maximumProblems: Int
    var result = StoreVerification()
    var counters = Counters()
    var zone: SiteTimeZone

    // Facts derived from the traces, per stored key.
    var cells = FingerprintTable<UInt64>()  // day << 32 | centre
    var dayStates: [DayStatesKey: (entries: Int64, exits: Int64)] = [:]
    var durations = FingerprintTable<UInt64>()  // from << 48 | to << 40 | day << 8 | kind
    var current = FingerprintTable<UInt64>()  // event << 32 | day
    var touched = FingerprintTable<UInt32>()  // day
    var seqs = FingerprintTable<UInt32>()  // device
    var names = Fingerprint()
    /// The people of each stored cell and their summaries, as the `cells` values state them, for `cellsums`.
    var cellSummaries: [UInt64: [(messenger: UInt32, summary: CellSummary)]] = [:]
    /// Cells that did not decode (reported once, under `cells`).
    var undecodableCells: Set<UInt64> = []

    struct DayStatesKey: Hashable, Comparable {
        var day: UInt32
        var center: UInt32
        var event: UInt8

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.day, lhs.center, lhs.event) < (rhs.day, rhs.center, rhs.event) }
    }

    init(reader: StoreReader, maximumProblems: Int) {
        self.reader = reader
        self.maximumProblems = maximumProblems
        self.zone = reader.zone
    }

    var transaction: Transaction { reader.transaction }
    var databases: StoreDatabases { reader.databases }

    mutating func problem(_ database: String, _ key: String, _ message: String) {
        result.problemCount += 1
        if result.problems.count < maximumProblems {
            result.problems.append(StoreVerification.Problem(database: database, key: key, message: message))
        }
    }

    mutating func counted(_ database: String, _ count: Int) {
        result.values.append((database, count))
    }

    mutating func run() throws {
        do {
            counters = try reader.counters()
        } catch let error as StoreCorruption {
            problem("meta", "counters", error.message)
        }
        try verifyEntities()
        try walkTraces()
        try verifyNames()
        try verifySeqs()
        try verifyCells()
        try verifyCellSummaries()
        try verifyDayStates()
        try verifyDurations()
        try verifyCurrent()
        try verifyTouched()
        if UInt64(result.scans) != counters.accepted {
            problem("meta", "counters", "\(counters.accepted) scans accepted, \(result.scans) stored")
        }
    }

    // MARK: Names of keys

    func dayName(_ day: UInt32) -> String { CivilDate(daysSinceEpoch: Int(day)).iso }

    func entityName(_ kind: EntityKind, _ id: UInt32) -> String {
        (try? reader.name(kind, id)).map { "\($0) (#\(id))" } ?? "#\(id)"
    }

    func cellName(_ packed: UInt64) -> String {
        "day \(dayName(UInt32(packed >> 32))) centre \(entityName(.workCenter, UInt32(truncatingIfNeeded: packed)))"
    }

    static func mismatch(_ derived: Fingerprint, _ stored: Fingerprint, _ what: String) -> String {
        derived.count == stored.count
            ? "its \(stored.count) \(what) differ from those the traces imply"
            : "holds \(stored.count) \(what), the traces imply \(derived.count)"
    }

    /// Runs `body` for each entry of `database`, reporting a value that does not decode and going on.
    mutating func forEachEntry(
        _ database: Database, _ body: (inout StoreVerifier, Cursor.Entry) throws -> Void
    ) throws -> Int {
        var count = 0
        var verifier = self
        defer { self = verifier }
        try transaction.withCursor(database) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                count += 1
                do {
                    try body(&verifier, current)
                } catch let error as CorruptBytes {
                    verifier.problem(database.name, Self.keyText(current.key), error.message)
                }
                entry = try cursor.next()
            }
        }
        return count
    }

    static func keyText(_ key: ByteView) -> String {
        "key " + key.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static func uint32(_ key: ByteView, at offset: Int) -> UInt32 { UInt32(bigEndian: key.load(at: offset, as: UInt32.self)) }

    // MARK: Entities

    /// Every identifier maps to an id below the next one, and back.
    mutating func verifyEntities() throws {
        // Per kind << 32 | id, a hash of the identifier: the forward entries' must equal the reverse entries'.
        var forward: [UInt64: UInt64] = [:]
        var reverse: [UInt64: UInt64] = [:]
        let next = counters.nextEntity
        let count = try forEachEntry(databases.entities) { verifier, entry in
            guard let first = entry.key.first else { throw CorruptBytes("an empty key") }
            let kind = first & 0x7F
            guard kind >= 1 && Int(kind) <= next.count else { throw CorruptBytes("unknown entity kind \(kind)") }
            if first & 0x80 == 0 {
                var reader = ByteReader(entry.value)
                let id = try reader.uint32BigEndian()
                guard id >= 1 && id < next[Int(kind) - 1] else {
                    throw CorruptBytes("id \(id), outside 1..<\(next[Int(kind) - 1])")
                }
                forward[UInt64(kind) << 32 | UInt64(id)] = Self.bytesHash(entry.key.part(from: 1))
            } else {
                guard entry.key.count == 5 else { throw CorruptBytes("a reverse key of \(entry.key.count) bytes") }
                let id = Self.uint32(entry.key, at: 1)
                reverse[UInt64(kind) << 32 | UInt64(id)] = Self.bytesHash(entry.value)
            }
        }
        counted("entities", count)
        for (packed, name) in forward where reverse[packed] != name {
            let kind = EntityKind(rawValue: UInt8(packed >> 32))!
            problem("entities", "\(kind.name) #\(packed & 0xFFFF_FFFF)", "the identifier and the id do not name each other")
        }
        for packed in reverse.keys where forward[packed] == nil {
            let kind = EntityKind(rawValue: UInt8(packed >> 32))!
            problem("entities", "\(kind.name) #\(packed & 0xFFFF_FFFF)", "an id with no identifier pointing to it")
        }
    }

    static func bytesHash(_ bytes: ByteView) -> UInt64 {
        var hash = UInt64(bytes.count)
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = FastHash.combine(hash, bytes.load(at: offset, as: UInt64.self))
            offset += 8
        }
        return FastHash.combine(hash, bytes.partialWord(at: offset, count: bytes.count - offset))
    }

    // MARK: Traces

    /// Decodes every trace block and derives every index's facts from every timeline.
    mutating func walkTraces() throws {
        var block = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        var facts = TimelineFacts()
        var expectedNumber: UInt32 = 0
        let lastNumber: UInt32? = counters.nextItem == 0 ? nil : (counters.nextItem - 1) >> TraceBlock.itemShift
        let count = try forEachEntry(databases.items) { verifier, entry in
            guard entry.key.count == 4 else { throw CorruptBytes("a key of \(entry.key.count) bytes") }
            let number = Self.uint32(entry.key, at: 0)
            let name = "block \(number)"
            if number != expectedNumber {
                verifier.problem("items", name, "blocks \(expectedNumber)..<\(number) are missing")
            }
            expectedNumber = number &+ 1
            if verifier.isUnchecked(entry.value) { verifier.result.uncheckedValues += 1 }
            do {
                try block.decode(entry.value, number: number, zstd: verifier.reader.zstd, scratch: &scratch)
            } catch let error as CorruptBytes {
                let prefix = "trace block \(number): "
                verifier.problem("items", name, error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message)
                return
            }
            guard let lastNumber, number <= lastNumber else {
                verifier.problem("items", name, "beyond the last item (\(verifier.counters.nextItem) items)")
                return
            }
            let expectedItems = number < lastNumber ? TraceBlock.capacity : Int(verifier.counters.nextItem - block.firstItem)
            if block.itemCount != expectedItems {
                verifier.problem("items", name, "holds \(block.itemCount) items, expected \(expectedItems)")
            }
            for index in 0..<block.itemCount {
                verifier.derive(block, index, &facts)
            }
        }
        if let lastNumber, expectedNumber <= lastNumber {
            problem("items", "block \(expectedNumber)", "blocks \(expectedNumber)...\(lastNumber) are missing")
        }
        counted("items", count)
    }

    func isUnchecked(_ value: ByteView) -> Bool {
        if value.first == TraceBlock.uncheckedTailedFormat { return true }
        if value.first == TraceBlock.tailedFormat {
            var reader = ByteReader(value.part(from: 1))
            guard let length = try? reader.count(maximum: reader.remaining), let base = try? reader.slice(length) else { return false }
            return SealedValue.isChecked(base) == false
        }
        return SealedValue.isChecked(value) == false
    }

    /// One item's timeline: checked for order and bounds, then its facts added to the fingerprints.
    mutating func derive(_ block: TraceBlock, _ index: Int, _ facts: inout TimelineFacts) {
        let item = block.firstItem + UInt32(index)
        let timeline = block.timeline(index)
        let name = block.names[index]
        result.items += 1
        result.scans += timeline.count
        names.add(Fingerprint.hash(name.fastHash, UInt64(item)))
        var previousTime = Int64.min
        for scan in timeline {
            if scan.scannedAt < previousTime {
                problem("items", "block \(block.number)", "item \(name.string): scans out of time order")
                break
            }
            previousTime = scan.scannedAt
            for (kind, id) in [(EntityKind.messenger, scan.messenger), (.workCenter, scan.workCenter), (.device, scan.device)]
            where id == 0 || id >= counters.nextEntity[Int(kind.rawValue) - 1] {
                problem("items", "block \(block.number)", "item \(name.string): a scan names \(kind.name) #\(id), which does not exist")
            }
            if scan.reason >= counters.nextEntity[Int(EntityKind.reason.rawValue) - 1] {
                problem("items", "block \(block.number)", "item \(name.string): a scan names reason #\(scan.reason), which does not exist")
            }
            seqs.add(scan.device, Fingerprint.hash(scan.seq))
        }
        guard !timeline.isEmpty else {
            problem("items", "block \(block.number)", "item \(name.string) has no scans")
            return
        }
        if timeline.count > reader.store.limits.scansPerItem {
            problem("items", "block \(block.number)", "item \(name.string) has \(timeline.count) scans, above the bound")
        }
        facts.derive(timeline, item: item, zone: &zone)
        // Cells and day states, per scan.
        for position in 0..<facts.count {
            let key = facts.cellKeys[position]
            let record = facts.records[position]
            cells.add(UInt64(key.day) << 32 | UInt64(key.center), Self.hash(key.messenger, record))
            let scan = timeline[timeline.startIndex + position]
            dayStates[DayStatesKey(day: key.day, center: key.center, event: scan.event.rawValue), default: (0, 0)].entries += 1
            if position > 0 {
                let previous = timeline[timeline.startIndex + position - 1]
                dayStates[DayStatesKey(day: key.day, center: previous.workCenter, event: previous.event.rawValue), default: (0, 0)].exits += 1
            }
        }
        // Durations between pairs of events.
        var mask = facts.pairMask
        while mask != 0 {
            let slot = mask.trailingZeroBitCount
            mask &= mask - 1
            let fact = facts.pairs[slot]
            let (from, to) = (UInt64(slot / Event.count), UInt64(slot % Event.count))
            let bin = UInt64(DurationBins.bin(fact.durationMilliseconds))
            let base = from << 48 | to << 40 | UInt64(fact.day) << 8
            durations.add(base | UInt64(DurationHistograms.byCenter), Fingerprint.hash(UInt64(fact.center), bin))
            durations.add(base | UInt64(DurationHistograms.byMessenger), Fingerprint.hash(UInt64(fact.messenger), bin))
        }
        // The current state, and the days touched.
        if let event = facts.currentEvent {
            current.add(UInt64(event.rawValue) << 32 | UInt64(facts.currentDay), Self.hash(facts.current))
        }
        for (day, events) in zip(facts.days, facts.dayEvents) {
            touched.add(day, Fingerprint.hash(UInt64(item), UInt64(events)))
        }
    }

    static func hash(_ messenger: UInt32, _ record: CellRecord) -> UInt64 {
        Fingerprint.hash(
            UInt64(messenger), UInt64(bitPattern: record.time),
            UInt64(record.event.rawValue) | UInt64(record.previousEventCode) << 8 | UInt64(record.reason) << 16,
            UInt64(record.previousCenter))
    }

    static func hash(_ record: CurrentRecord) -> UInt64 {
        Fingerprint.hash(UInt64(bitPattern: record.time), UInt64(record.item), UInt64(record.center), UInt64(record.messenger))
    }

    // MARK: Indexes

    /// Every tracking id names its item, in sorted blocks keyed by their first name.
    mutating func verifyNames() throws {
        var stored = Fingerprint()
        var block = NameBlock()
        var previousLast: InlineBytes? = nil
        let count = try forEachEntry(databases.names) { verifier, entry in
            try block.decode(entry.value)
            guard let first = block.names.first else { throw CorruptBytes("an empty name block") }
            guard first.withBytes({ $0.equals(entry.key) }) else { throw CorruptBytes("its first name is not its key") }
            for index in block.names.indices {
                if let previous = index > 0 ? block.names[index - 1] : previousLast, !(previous < block.names[index]) {
                    throw CorruptBytes("names out of order at \(block.names[index].string)")
                }
                stored.add(Fingerprint.hash(block.names[index].fastHash, UInt64(block.ids[index])))
            }
            previousLast = block.names.last
        }
        counted("names", count)
        if stored != names {
            problem("names", "(all)", Self.mismatch(names, stored, "tracking ids"))
        }
    }

    /// Every device's ranges hold exactly the seqs of its stored scans.
    mutating func verifySeqs() throws {
        var table = seqs
        let count = try forEachEntry(databases.seqs) { verifier, entry in
            guard entry.key.count == 4 else { throw CorruptBytes("a key of \(entry.key.count) bytes") }
            let device = Self.uint32(entry.key, at: 0)
            let derived = table.take(device)
            var ranges = SeqRanges()
            try ranges.decode(entry.value)
            var stored = Fingerprint()
            for (start, end) in zip(ranges.starts, ranges.ends) {
                guard end >= start, end - start < 1 << 32 else { throw CorruptBytes("a range \(start)...\(end)") }
                var seq = start
                while true {
                    stored.add(Fingerprint.hash(seq))
                    if seq == end { break }
                    seq += 1
                }
            }
            if stored != derived {
                verifier.problem("seqs", "device \(verifier.entityName(.device, device))", Self.mismatch(derived, stored, "seqs"))
            }
        }
        for device in table.remainingKeys {
            problem("seqs", "device \(entityName(.device, device))", "missing: the traces hold \(table.fingerprint(device).count) of its scans")
        }
        counted("seqs", count)
    }

    /// Every cell's records are those the traces imply, and its summaries are those its records imply.
    mutating func verifyCells() throws {
        var table = cells
        var scratch: [UInt8] = []
        let zstd = reader.zstd
        let count = try forEachEntry(databases.cells) { verifier, entry in
            guard entry.key.count == 8 else { throw CorruptBytes("a key of \(entry.key.count) bytes") }
            let day = Self.uint32(entry.key, at: 0)
            let center = Self.uint32(entry.key, at: 4)
            let packed = UInt64(day) << 32 | UInt64(center)
            let derived = table.take(packed)
            if SealedValue.isChecked(entry.value) == false { verifier.result.uncheckedValues += 1 }
            var stored = Fingerprint()
            var people: [(messenger: UInt32, summary: CellSummary)] = []
            var badSummaries: [UInt32] = []
            let dayStart = verifier.zone.startOfDay(Int32(day))
            do {
                try SealedValue.withPayload(entry.value, zstd: zstd, scratch: &scratch) { payload in
                    try Cell.decode(payload, center: center, dayStart: dayStart, wantRecords: true) { messenger, summary, records in
                        for record in records { stored.add(Self.hash(messenger, record)) }
                        if Cell.summarize(records) != summary { badSummaries.append(messenger) }
                        people.append((messenger, summary))
                    }
                }
            } catch let error as CorruptBytes {
                verifier.problem("cells", verifier.cellName(packed), error.message)
                verifier.undecodableCells.insert(packed)
                return
            }
            verifier.cellSummaries[packed] = people
            for messenger in badSummaries {
                verifier.problem(
                    "cells", verifier.cellName(packed),
                    "the summary of messenger \(verifier.entityName(.messenger, messenger)) disagrees with their records")
            }
            if stored != derived {
                verifier.problem("cells", verifier.cellName(packed), Self.mismatch(derived, stored, "records"))
            }
        }
        for packed in table.remainingKeys {
            problem("cells", cellName(packed), "missing: the traces hold \(table.fingerprint(packed).count) scans there")
        }
        counted("cells", count)
    }

    /// Every `cellsums` value holds the summaries of its cell, and their total.
    mutating func verifyCellSummaries() throws {
        var remaining = cellSummaries
        var summary = CellSummary()
        let count = try forEachEntry(databases.cellSummaries) { verifier, entry in
            guard entry.key.count == 8 else { throw CorruptBytes("a key of \(entry.key.count) bytes") }
            let day = Self.uint32(entry.key, at: 0)
            let packed = UInt64(day) << 32 | UInt64(Self.uint32(entry.key, at: 4))
            var stored: [(messenger: UInt32, summary: CellSummary)] = []
            try Cell.decodeSummaries(entry.value, dayStart: verifier.zone.startOfDay(Int32(day)), people: true, into: &summary) {
                stored.append(($0, $1))
            }
            guard let people = remaining.removeValue(forKey: packed) else {
                // A cell that did not decode is reported already.
                if !verifier.undecodableCells.contains(packed) {
                    verifier.problem("cellsums", verifier.cellName(packed), "no cell behind these summaries")
                }
                return
            }
            let total = Cell.total(people.map(\.summary))
            let matches = stored.count == people.count + 1 && stored[0].messenger == 0 && stored[0].summary == total
                && zip(stored.dropFirst(), people).allSatisfy { $0.messenger == $1.messenger && $0.summary == $1.summary }
            if !matches {
                verifier.problem("cellsums", verifier.cellName(packed), "the summaries disagree with the cell's")
            }
        }
        for packed in remaining.keys.sorted() {
            problem("cellsums", cellName(packed), "missing: the cell has \(remaining[packed]!.count) people")
        }
        counted("cellsums", count)
    }

    /// Every day's state entries and exits are those the traces imply.
    mutating func verifyDayStates() throws {
        var remaining = dayStates.filter { $0.value != (0, 0) }
        var entries: [DayStateEntry] = []
        let count = try forEachEntry(databases.dayStates) { verifier, entry in
            guard entry.key.count == 4 else { throw CorruptBytes("a key of \(entry.key.count) bytes") }
            let day = Self.uint32(entry.key, at: 0)
            entries.removeAll(keepingCapacity: true)
            try DayStates.decode(entry.value, into: &entries)
            for stored in entries {
                let key = DayStatesKey(day: day, center: stored.center, event: stored.event.rawValue)
                let derived = remaining.removeValue(forKey: key) ?? (0, 0)
                if derived != (stored.entries, stored.exits) {
                    verifier.problem(
                        "daystates", "day \(verifier.dayName(day)) centre \(verifier.entityName(.workCenter, stored.center)) \(stored.event.code)",
                        "\(stored.entries) entries and \(stored.exits) exits; the traces imply \(derived.entries) and \(derived.exits)")
                }
            }
        }
        for key in remaining.keys.sorted() {
            let derived = remaining[key]!
            problem(
                "daystates", "day \(dayName(key.day)) centre \(entityName(.workCenter, key.center)) \(Event(rawValue: key.event)!.code)",
                "missing: the traces imply \(derived.entries) entries and \(derived.exits) exits")
        }
        counted("daystates", count)
    }

    static func durationName(_ packed: UInt64) -> (from: Event, to: Event, day: UInt32, kind: UInt8) {
        (Event(rawValue: UInt8(packed >> 48))!, Event(rawValue: UInt8(truncatingIfNeeded: packed >> 40))!,
         UInt32(truncatingIfNeeded: packed >> 8), UInt8(truncatingIfNeeded: packed))
    }

    func durationKeyName(_ packed: UInt64) -> String {
        let (from, to, day, kind) = Self.durationName(packed)
        return "\(from.code)→\(to.code) day \(dayName(day)) by \(kind == DurationHistograms.byCenter ? "centre" : "messenger")"
    }

    /// Every histogram counts exactly the durations the traces imply.
    mutating func verifyDurations() throws {
        var table = durations
        var cells: [HistogramCell] = []
        let count = try forEachEntry(databases.durations) { verifier, entry in
            guard entry.key.count == 7, entry.key[0] < Event.count, entry.key[1] < Event.count, entry.key[6] <= 1 else {
                throw CorruptBytes("not a histogram key")
            }
            let packed = UInt64(entry.key[0]) << 48 | UInt64(entry.key[1]) << 40 | UInt64(Self.uint32(entry.key, at: 2)) << 8
                | UInt64(entry.key[6])
            let derived = table.take(packed)
            cells.removeAll(keepingCapacity: true)
            try DurationHistograms.decode(entry.value, into: &cells)
            var stored = Fingerprint()
            for cell in cells { stored.add(Fingerprint.hash(UInt64(cell.key), UInt64(cell.bin)), times: cell.count) }
            if stored != derived {
                verifier.problem("durations", verifier.durationKeyName(packed), Self.mismatch(derived, stored, "durations"))
            }
        }
        for packed in table.remainingKeys {
            problem("durations", durationKeyName(packed), "missing: the traces imply \(table.fingerprint(packed).count) durations")
        }
        counted("durations", count)
    }

    /// Every item is listed once, under the event and day of its latest scan.
    mutating func verifyCurrent() throws {
        var table = current
        var records: [CurrentRecord] = []
        let count = try forEachEntry(databases.current) { verifier, entry in
            guard entry.key.count == 5, let event = Event(rawValue: entry.key[0]) else { throw CorruptBytes("not a state key") }
            let day = Self.uint32(entry.key, at: 1)
            let derived = table.take(UInt64(event.rawValue) << 32 | UInt64(day))
            records.removeAll(keepingCapacity: true)
            try CurrentStates.decode(entry.value, dayStart: verifier.zone.startOfDay(Int32(day)), into: &records)
            var stored = Fingerprint()
            for record in records { stored.add(Self.hash(record)) }
            if stored != derived {
                verifier.problem("current", "\(event.code) day \(verifier.dayName(day))", Self.mismatch(derived, stored, "items"))
            }
        }
        for packed in table.remainingKeys {
            let event = Event(rawValue: UInt8(packed >> 32))!
            problem(
                "current", "\(event.code) day \(dayName(UInt32(truncatingIfNeeded: packed)))",
                "missing: the traces imply \(table.fingerprint(packed).count) items")
        }
        counted("current", count)
    }

    /// Every day lists exactly the items scanned that day, with that day's events.
    mutating func verifyTouched() throws {
        var table = touched
        var items: [UInt64] = []
        let count = try forEachEntry(databases.touched) { verifier, entry in
            guard entry.key.count == 4 else { throw CorruptBytes("a key of \(entry.key.count) bytes") }
            let day = Self.uint32(entry.key, at: 0)
            let derived = table.take(day)
            items.removeAll(keepingCapacity: true)
            try TouchedItems.decode(entry.value, into: &items)
            var stored = Fingerprint()
            for packed in items { stored.add(Fingerprint.hash(packed >> 8, packed & 0xFF)) }
            if stored != derived {
                verifier.problem("touched", "day \(verifier.dayName(day))", Self.mismatch(derived, stored, "items"))
            }
        }
        for day in table.remainingKeys {
            problem("touched", "day \(dayName(day))", "missing: the traces imply \(table.fingerprint(day).count) items")
        }
        counted("touched", count)
    }
}
