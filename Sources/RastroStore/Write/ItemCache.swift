import RastroCore
import RastroPrimitives

/// A bounded map from tracking id to item id for the writer: 64-bit hashes of tracking ids in a
/// ``GenerationalHashMap``.
///
/// Looking up every scan's item is a random memory access; a `Dictionary` keyed by the 48-byte ids takes several
/// DRAM misses per scan. Here a lookup is one slot read, and the writer probes a whole batch in a tight loop so that the
/// misses overlap. A hash is not the name: the write session checks every cached answer against the name stored in
/// the item's trace block and, on the (2^-64-likely) mismatch, retries the commit without the cache
/// (``ItemCacheCollision``).
///
/// Two generations bound memory to ``capacity`` entries: when the young table is full it becomes the old one. Items
/// still being scanned stay cached (an old-generation hit moves to the young one). Mappings never change once
/// committed, so the cache is never stale, even when another process writes to the same store.
struct ItemCache {
    /// The table itself (``GenerationalHashMap``, two generations bounded to ``capacity`` entries).
    private var map: GenerationalHashMap
    /// How tracking ids hash: every lookup and insert goes through it.
    var hasher = NameHasher()

    init(capacity: Int) { map = GenerationalHashMap(capacity: capacity) }

    var capacity: Int { map.capacity }

    /// The 64-bit hash of a tracking id (never 0: 0 marks an empty slot).
    @inline(__always)
    static func hash(_ name: InlineBytes) -> UInt64 { name.trackingHash }

    /// Loads the first slots a lookup of `hash` reads, for their cache lines (``CacheTouch``).
    @inline(__always)
    func touch(hash: UInt64) -> UInt64 { map.touch(hash: hash) }

    /// The item of a hashed tracking id, if cached.
    @inline(__always)
    mutating func lookup(hash: UInt64) -> UInt32? { map.lookup(hash: hash) }

    mutating func insert(_ name: InlineBytes, _ item: UInt32) {
        map.insert(hash: hasher.hash(name), item)
    }

    /// Inserts a commit's items: each chunk hashed and its slots touched first (``CacheTouch``), then inserted.
    mutating func insert(_ entries: [(name: InlineBytes, id: UInt32)]) {
        var hashes: [UInt64] = []
        hashes.reserveCapacity(CacheTouch.chunk)
        var touched: UInt64 = 0
        var chunk = 0
        while chunk < entries.count {
            let end = min(chunk + CacheTouch.chunk, entries.count)
            hashes.removeAll(keepingCapacity: true)
            for index in chunk..<end {
                let hash = hasher.hash(entries[index].name)
                hashes.append(hash)
                touched ^= map.touch(hash: hash)
            }
            for index in chunk..<end { map.insert(hash: hashes[index - chunk], entries[index].id) }
            chunk = end
        }
        CacheTouch.keep(touched)
    }

    mutating func insert(hash: UInt64, _ item: UInt32) { map.insert(hash: hash, item) }

    mutating func removeAll() { map.removeAll() }
}

/// The 64-bit hash of tracking ids used by ``ItemCache`` and the write session's ``BatchNames``.
struct NameHasher {
    /// Test hook: when set, every tracking id hashes to this value, so that tests can make names collide.
    var fixedForTesting: UInt64? = nil

    @inline(__always)
    func hash(_ name: InlineBytes) -> UInt64 { fixedForTesting ?? ItemCache.hash(name) }

    /// Appends every scan's hash, in batch order: the batch's own column when the validator filled it (hashed on the
    /// parsing threads), otherwise hashed here.
    func appendHashes(of batch: ScanBatch, to hashes: inout [UInt64]) {
        if batch.hasTrackingHashes && fixedForTesting == nil {
            hashes.append(contentsOf: batch.trackingHashes)
        } else {
            for scan in batch.scans { hashes.append(hash(batch.inline(scan.trackingID))) }
        }
    }
}

/// Two tracking ids with the same 64-bit hash met in the writer's cache: the commit is retried without it.
struct ItemCacheCollision: Error {}

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

    /// The block if cached, without counting it as used: for the sealer, which reads blocks leaving the hot window.
    func peek(_ number: UInt32) -> TraceBlock? { young[number] ?? old[number] }

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
