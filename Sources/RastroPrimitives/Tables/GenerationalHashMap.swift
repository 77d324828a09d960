/// A bounded map from 64-bit hashes to 32-bit values, in flat, open-addressed tables of 16-byte slots: the writer's
/// item cache (tracking-id hash → item id).
///
/// Two generations bound memory to ``capacity`` entries: when the young table holds `capacity / 2`, it becomes the old
/// one and a cleared table the young one. A hit in the old generation moves to the young one, so keys still in use
/// stay. A lookup is one slot read in the common case; callers probing many keys first ``touch(hash:)`` a chunk's
/// slots so that the cache misses overlap (``CacheTouch``).
///
/// Invariants, asserted in debug builds: hashes are never 0 (an empty slot); each table is a power of two at least
/// twice `capacity / 2`, so it is at most half full; the young generation holds at most `capacity / 2` entries.
public struct GenerationalHashMap {
    @usableFromInline struct Slot {
        @usableFromInline var hash: UInt64 = 0
        @usableFromInline var value: UInt32 = 0

        @inlinable init() {}

        @inlinable init(hash: UInt64, value: UInt32) {
            self.hash = hash
            self.value = value
        }
    }

    /// Entries kept at most, over both generations.
    public let capacity: Int
    @usableFromInline var young: [Slot]
    @usableFromInline var old: [Slot]
    @usableFromInline var youngCount = 0
    @usableFromInline let mask: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 64)
        var size = 64
        while size < self.capacity { size *= 2 }
        mask = size - 1
        young = Array(repeating: Slot(), count: size)
        old = Array(repeating: Slot(), count: size)
        assert(2 * (self.capacity / 2) <= size, "a generation must stay at most half full")
    }

    @inlinable @inline(__always)
    static func find(_ hash: UInt64, in table: [Slot], mask: Int) -> UInt32? {
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = table[index]
            if slot.hash == hash { return slot.value }
            if slot.hash == 0 { return nil }
            index = (index + 1) & mask
        }
    }

    /// Loads the first slots a lookup of `hash` reads, for their cache lines (``CacheTouch``).
    @inlinable @inline(__always)
    public func touch(hash: UInt64) -> UInt64 {
        let index = Int(truncatingIfNeeded: hash) & mask
        return young[index].hash ^ old[index].hash
    }

    /// The value of `hash`, if kept; an old-generation hit moves to the young generation.
    @inlinable @inline(__always)
    public mutating func lookup(hash: UInt64) -> UInt32? {
        assert(hash != 0, "hash 0 marks an empty slot")
        if let value = Self.find(hash, in: young, mask: mask) { return value }
        guard let value = Self.find(hash, in: old, mask: mask) else { return nil }
        insert(hash: hash, value)
        return value
    }

    /// Keeps `value` under `hash` (replacing what `hash` had in the young generation).
    @inlinable
    public mutating func insert(hash: UInt64, _ value: UInt32) {
        assert(hash != 0, "hash 0 marks an empty slot")
        if youngCount >= capacity / 2 {
            swap(&young, &old)
            for index in young.indices { young[index] = Slot() }
            youngCount = 0
        }
        var index = Int(truncatingIfNeeded: hash) & mask
        while young[index].hash != 0 && young[index].hash != hash { index = (index + 1) & mask }
        if young[index].hash == 0 { youngCount += 1 }
        young[index] = Slot(hash: hash, value: value)
        assert(youngCount <= capacity / 2)
    }

    public mutating func removeAll() {
        for index in young.indices {
            young[index] = Slot()
            old[index] = Slot()
        }
        youngCount = 0
    }
}
