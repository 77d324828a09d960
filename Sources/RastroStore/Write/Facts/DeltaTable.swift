/// Changes to the values of one database, collected by key during a commit.
///
/// Adding a change is one hash lookup (the key's slot) and two appends to flat arrays, rather than an in-place access
/// to an array nested in a dictionary, which pays for the access, the nested array's uniqueness check and its growth.
/// Each block worker fills its own table and groups it once, on its own thread, at the end of its work
/// (``grouped()``); the writer then merges the two workers' sorted groups (``Grouped/merged(with:)``).
struct DeltaTable<Key: Hashable & Comparable, Change> {
    /// Open addressing over the keys' ``FastHash`` hashes: each entry is a slot in ``keys``, or -1. A flat array of
    /// 4-byte entries kept at most half full, without a `Dictionary`'s generic probing and resizing.
    private var table: [Int32] = []
    private var mask = -1
    private var keys: [Key] = []
    /// Each change with its key's slot in ``keys``: one array, so that adding a change is one `append` (each checks
    /// the array's uniqueness, a runtime call).
    private var changes: [(slot: Int32, change: Change)] = []

    var isEmpty: Bool { changes.isEmpty }

    mutating func removeAll() {
        for index in table.indices { table[index] = -1 }
        keys.removeAll(keepingCapacity: true)
        changes.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func add(_ key: Key, _ change: Change) {
        if 2 * (keys.count + 1) > table.count { grow() }
        var position = key._rawHashValue(seed: 0) & mask
        var slot: Int32
        while true {
            slot = table[position]
            if slot < 0 {
                slot = Int32(keys.count)
                table[position] = slot
                keys.append(key)
                break
            }
            if keys[Int(slot)] == key { break }
            position = (position + 1) & mask
        }
        changes.append((slot, change))
    }

    /// Doubles the table (64 entries at first) and places every key again.
    private mutating func grow() {
        let size = max(64, 2 * table.count)
        table = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (slot, key) in keys.enumerated() {
            var position = key._rawHashValue(seed: 0) & mask
            while table[position] >= 0 { position = (position + 1) & mask }
            table[position] = Int32(slot)
        }
    }

    /// The changes grouped by key, keys ascending, each key's changes in the order they were added (a counting
    /// sort: one pass to count, one to place).
    func grouped() -> Grouped {
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        var starts = [Int](repeating: 0, count: keys.count + 1)
        let placed = [Change](unsafeUninitializedCapacity: changes.count) { buffer, count in
            // Scratch through buffer pointers: a subscript write to an array checks its uniqueness each time.
            let rank = UnsafeMutableBufferPointer<Int>.allocate(capacity: keys.count)
            let next = UnsafeMutableBufferPointer<Int>.allocate(capacity: keys.count)
            defer {
                rank.deallocate()
                next.deallocate()
            }
            for (position, slot) in order.enumerated() { rank[slot] = position }
            starts.withUnsafeMutableBufferPointer { starts in
                for entry in changes { starts[rank[Int(entry.slot)] + 1] += 1 }
                for index in 0..<keys.count { starts[index + 1] += starts[index] }
                for index in 0..<keys.count { next[index] = starts[index] }
            }
            for entry in changes {
                let position = rank[Int(entry.slot)]
                (buffer.baseAddress! + next[position]).initialize(to: entry.change)
                next[position] += 1
            }
            count = changes.count
        }
        return Grouped(keys: order.map { keys[$0] }, starts: starts, changes: placed)
    }

    /// Changes grouped by key: `changes[starts[k]..<starts[k + 1]]` belong to `keys[k]`.
    struct Grouped {
        var keys: [Key] = []
        var starts: [Int] = [0]
        var changes: [Change] = []

        var isEmpty: Bool { keys.isEmpty }

        func changes(of index: Int) -> ArraySlice<Change> { changes[starts[index]..<starts[index + 1]] }
    }

    /// Two tables' groups seen as one, keys ascending, without copying their changes: the two block workers' changes,
    /// which the writer merged by copying every change of the commit (on its serial path) before the index work read
    /// them once. For a key in both, the first table's changes come first.
    struct Merged {
        let first: Grouped
        let second: Grouped
        private(set) var keys: [Key] = []
        /// Per key, its group in ``first`` and in ``second``, or -1.
        private var firstGroup: [Int32] = []
        private var secondGroup: [Int32] = []

        init() {
            self.init(Grouped(), Grouped())
        }

        init(_ first: Grouped, _ second: Grouped) {
            self.first = first
            self.second = second
            let capacity = first.keys.count + second.keys.count
            keys.reserveCapacity(capacity)
            firstGroup.reserveCapacity(capacity)
            secondGroup.reserveCapacity(capacity)
            var mine = 0
            var theirs = 0
            while mine < first.keys.count || theirs < second.keys.count {
                let takeMine = theirs == second.keys.count || (mine < first.keys.count && !(second.keys[theirs] < first.keys[mine]))
                let takeTheirs = mine == first.keys.count || (theirs < second.keys.count && !(first.keys[mine] < second.keys[theirs]))
                keys.append(takeMine ? first.keys[mine] : second.keys[theirs])
                firstGroup.append(takeMine ? Int32(mine) : -1)
                secondGroup.append(takeTheirs ? Int32(theirs) : -1)
                if takeMine { mine += 1 }
                if takeTheirs { theirs += 1 }
            }
        }

        var isEmpty: Bool { keys.isEmpty }

        /// Calls `body` with each change of key `index`, in order.
        @inline(__always)
        func forEachChange(of index: Int, _ body: (Change) throws -> Void) rethrows {
            if firstGroup[index] >= 0 { for change in first.changes(of: Int(firstGroup[index])) { try body(change) } }
            if secondGroup[index] >= 0 { for change in second.changes(of: Int(secondGroup[index])) { try body(change) } }
        }

        /// Replaces `array`'s contents with the changes of key `index`, in order.
        func copyChanges(of index: Int, into array: inout [Change]) {
            array.removeAll(keepingCapacity: true)
            if firstGroup[index] >= 0 { array.append(contentsOf: first.changes(of: Int(firstGroup[index]))) }
            if secondGroup[index] >= 0 { array.append(contentsOf: second.changes(of: Int(secondGroup[index]))) }
        }

        /// The changes of key `index`, in order.
        func changes(of index: Int) -> [Change] {
            var array: [Change] = []
            copyChanges(of: index, into: &array)
            return array
        }
    }
}
