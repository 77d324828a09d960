/// Changes to the values of one database, collected by key during a commit: the store's index changes, one table per
/// database and block worker.
///
/// Adding a change is one hash lookup (the key's slot, ``KeyIndex``) and one append to a flat array, rather than an
/// in-place access to an array nested in a dictionary, which pays for the access, the nested array's uniqueness check
/// and its growth. Each block worker fills its own table and groups it once, on its own thread, at the end of its
/// work (``grouped()``); the writer then sees the two workers' sorted groups as one (``Merged``).
///
/// Invariants, asserted in debug builds: every change's slot names a key; grouping keeps every change, under its key,
/// in the order added, with keys ascending.
public struct DeltaTable<Key: FastHashable & Comparable, Change> {
    @usableFromInline var index = KeyIndex<Key>()
    /// Each change with its key's slot: one array, so that adding a change is one `append` (each checks the array's
    /// uniqueness, a runtime call).
    @usableFromInline var changes: [(slot: Int32, change: Change)] = []

    public init() {}

    @inlinable public var isEmpty: Bool { changes.isEmpty }

    @inlinable
    public mutating func removeAll() {
        index.removeAll()
        changes.removeAll(keepingCapacity: true)
    }

    @inlinable @inline(__always)
    public mutating func add(_ key: Key, _ change: Change) {
        changes.append((Int32(truncatingIfNeeded: index.slot(adding: key)), change))
    }

    /// The changes grouped by key, keys ascending, each key's changes in the order they were added (a counting
    /// sort: one pass to count, one to place).
    @inlinable
    public func grouped() -> Grouped {
        let keys = index.keys
        let changes = self.changes
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
        let grouped = Grouped(keys: order.map { keys[$0] }, starts: starts, changes: placed)
        assert(grouped.changes.count == changes.count && zip(grouped.keys, grouped.keys.dropFirst()).allSatisfy { $0 < $1 })
        return grouped
    }

    /// Changes grouped by key: `changes[starts[k]..<starts[k + 1]]` belong to `keys[k]`.
    public struct Grouped {
        public var keys: [Key] = []
        public var starts: [Int] = [0]
        public var changes: [Change] = []

        public init() {}

        @inlinable
        init(keys: [Key], starts: [Int], changes: [Change]) {
            self.keys = keys
            self.starts = starts
            self.changes = changes
        }

        @inlinable public var isEmpty: Bool { keys.isEmpty }

        @inlinable
        public func changes(of index: Int) -> ArraySlice<Change> { changes[starts[index]..<starts[index + 1]] }
    }

    /// Two tables' groups seen as one, keys ascending, without copying their changes: the two block workers' changes,
    /// which the index work reads once, so copying them on the writer's serial path would be pure cost. For a key in
    /// both, the first table's changes come first.
    public struct Merged {
        public let first: Grouped
        public let second: Grouped
        public private(set) var keys: [Key] = []
        /// Per key, its group in ``first`` and in ``second``, or -1.
        @usableFromInline var firstGroup: [Int32] = []
        @usableFromInline var secondGroup: [Int32] = []

        public init() {
            self.init(Grouped(), Grouped())
        }

        public init(_ first: Grouped, _ second: Grouped) {
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

        @inlinable public var isEmpty: Bool { keys.isEmpty }

        /// Calls `body` with each change of key `index`, in order.
        @inlinable @inline(__always)
        public func forEachChange(of index: Int, _ body: (Change) throws -> Void) rethrows {
            if firstGroup[index] >= 0 { for change in first.changes(of: Int(firstGroup[index])) { try body(change) } }
            if secondGroup[index] >= 0 { for change in second.changes(of: Int(secondGroup[index])) { try body(change) } }
        }

        /// Replaces `array`'s contents with the changes of key `index`, in order.
        @inlinable
        public func copyChanges(of index: Int, into array: inout [Change]) {
            array.removeAll(keepingCapacity: true)
            if firstGroup[index] >= 0 { array.append(contentsOf: first.changes(of: Int(firstGroup[index]))) }
            if secondGroup[index] >= 0 { array.append(contentsOf: second.changes(of: Int(secondGroup[index]))) }
        }

        /// The changes of key `index`, in order.
        @inlinable
        public func changes(of index: Int) -> [Change] {
            var array: [Change] = []
            copyChanges(of: index, into: &array)
            return array
        }
    }
}
