import Synchronization

/// Probing a hash table at random costs a cache miss per probe, and a probing loop whose branches and inserts
/// serialise it waits for each miss in turn. The writer's hot tables (the item cache, the batch's names) are probed in
/// chunks instead: a chunk's slots are first loaded in a loop of independent loads, whose misses overlap, and the
/// probing loop then finds them in the level-1 cache. This is the one place for the chunk size and for keeping those
/// loads, which are made only for their cache lines.
public enum CacheTouch {
    /// Scans (or entries) whose slots are touched before any of them is probed.
    @inlinable public static var chunk: Int { 32 }

    /// Consumes the XOR of the touching loads, so that the optimiser keeps them: a store it cannot drop, made only
    /// for a value the XOR practically never has.
    @inlinable @inline(__always)
    public static func keep(_ touched: UInt64) {
        if touched == 0x5EED_5EED_5EED_5EED { sink.store(touched, ordering: .relaxed) }
    }

    @usableFromInline static let sink = Atomic<UInt64>(0)
}
