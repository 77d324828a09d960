import RastroCore

/// A bounded map from tracking id to item id for the writer.
///
/// Two generations: lookups try the young one, then the old one; when the young one is full it becomes the old one
/// and the previous old one is dropped. Memory stays under ``capacity`` entries however many items the store holds,
/// and items still being scanned stay cached. Mappings never change once committed, so the cache is never stale,
/// even when another process writes to the same store.
struct ItemCache {
    let capacity: Int
    private var young: [InlineBytes: UInt32] = [:]
    private var old: [InlineBytes: UInt32] = [:]

    init(capacity: Int) {
        self.capacity = max(capacity, 2)
        young.reserveCapacity(self.capacity / 2)
    }

    /// Looks up a name; a hit in the old generation moves it to the young one, so items still being scanned stay
    /// one probe away.
    mutating func lookup(_ name: InlineBytes) -> UInt32? {
        if let item = young[name] { return item }
        guard let item = old[name] else { return nil }
        insert(name, item)
        return item
    }

    mutating func insert(_ name: InlineBytes, _ item: UInt32) {
        if young.count >= capacity / 2 {
            old = young
            young = [:]
            young.reserveCapacity(capacity / 2)
        }
        young[name] = item
    }

    var count: Int { young.count + old.count }
}

/// Decoded trace blocks the writer committed, bounded to ``capacity`` blocks (two generations, like ``ItemCache``).
///
/// Items are scanned over a few days, so every commit touches the same few thousand blocks; keeping them decoded
/// saves decoding each of them again per commit. The cache is valid only while this process is the store's last
/// writer (see ``Counters/writerToken``); the write session checks that before every commit.
struct BlockCache {
    let capacity: Int
    private var young: [UInt32: TraceBlock] = [:]
    private var old: [UInt32: TraceBlock] = [:]

    init(capacity: Int) { self.capacity = max(capacity, 2) }

    mutating func lookup(_ number: UInt32) -> TraceBlock? {
        if let block = young[number] { return block }
        guard let block = old.removeValue(forKey: number) else { return nil }
        insert(number, block)
        return block
    }

    mutating func insert(_ number: UInt32, _ block: TraceBlock) {
        if young[number] == nil && young.count >= capacity / 2 {
            old = young
            young = [:]
        }
        young[number] = block
    }

    mutating func removeAll() {
        young = [:]
        old = [:]
    }
}
