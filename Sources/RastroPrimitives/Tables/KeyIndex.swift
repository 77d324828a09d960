/// Dense slots for distinct keys: the first key added gets slot 0, the next new one slot 1, and so on. A flat,
/// open-addressed table of 4-byte entries over the keys' ``FastHashable/fastHash``, reused between commits.
///
/// Invariants, asserted in debug builds: the table's size is a power of two and at most half full; every entry is -1
/// or a slot below ``count``; `positions` names every filled entry; ``removeAll()`` leaves none.
public struct KeyIndex<Key: FastHashable> {
    /// Each entry is a slot in ``keys``, or -1.
    @usableFromInline var table: [Int32] = []
    /// Each slot's entry in ``table``: ``removeAll()`` clears just these, so a table that once grew large costs
    /// nothing to reuse for a few keys.
    @usableFromInline var positions: [Int32] = []
    @usableFromInline var mask = -1
    /// The keys, by slot (read through ``keys``).
    @usableFromInline var storedKeys: [Key] = []

    /// The keys, by slot.
    @inlinable public var keys: [Key] { storedKeys }

    public init() {}

    /// How many distinct keys were added.
    @inlinable public var count: Int { storedKeys.count }

    @inlinable public var isEmpty: Bool { storedKeys.isEmpty }

    /// Forgets every key, keeping the table's memory; costs one write per key added, not per table entry.
    public mutating func removeAll() {
        for position in positions { table[Int(position)] = -1 }
        positions.removeAll(keepingCapacity: true)
        storedKeys.removeAll(keepingCapacity: true)
        assert(!table.contains { $0 >= 0 }, "KeyIndex.removeAll left an entry")
    }

    /// The slot of `key`, added with the next slot if new.
    @inlinable @inline(__always)
    public mutating func slot(adding key: Key) -> Int {
        if 2 * (storedKeys.count + 1) > table.count { grow() }
        var position = Int(truncatingIfNeeded: key.fastHash) & mask
        while true {
            let slot = table[position]
            if slot < 0 {
                table[position] = Int32(storedKeys.count)
                positions.append(Int32(truncatingIfNeeded: position))
                storedKeys.append(key)
                return storedKeys.count - 1
            }
            if storedKeys[Int(slot)] == key { return Int(slot) }
            position = (position + 1) & mask
        }
    }

    /// The slot of `key`, or `nil` when it was never added.
    @inlinable
    public func slot(of key: Key) -> Int? {
        guard !table.isEmpty else { return nil }
        var position = Int(truncatingIfNeeded: key.fastHash) & mask
        while true {
            let slot = table[position]
            if slot < 0 { return nil }
            if storedKeys[Int(slot)] == key { return Int(slot) }
            position = (position + 1) & mask
        }
    }

    /// Doubles the table (64 entries at first) and places every key again.
    @usableFromInline
    mutating func grow() {
        let size = Swift.max(64, 2 * table.count)
        table = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (slot, key) in storedKeys.enumerated() {
            var position = Int(truncatingIfNeeded: key.fastHash) & mask
            while table[position] >= 0 { position = (position + 1) & mask }
            table[position] = Int32(slot)
            positions[slot] = Int32(truncatingIfNeeded: position)
        }
        assert(isConsistent, "KeyIndex: a rebuilt table lost a key")
    }

    /// The invariants above, checked in full (debug builds, after every growth).
    var isConsistent: Bool {
        guard table.count.nonzeroBitCount == 1, 2 * keys.count <= table.count else { return false }
        var filled = 0
        for entry in table where entry >= 0 {
            guard Int(entry) < keys.count else { return false }
            filled += 1
        }
        return filled == keys.count && keys.indices.allSatisfy { slot(of: keys[$0]) == $0 && table[Int(positions[$0])] == Int32($0) }
    }
}
