import RastroCore
import RastroPrimitives

extension WriteSession {
    static let unknownItem = UInt32.max

    /// Gives every scan its item id: from the cache, from the `names` blocks (misses looked up in sorted order, so
    /// each block is decoded once), or a new id for a tracking id first seen here. New ids are dense and follow the
    /// order in which the batch first mentions them.
    mutating func resolveItems() throws {
        var stopwatch = Stopwatch()
        let count = batch.count
        // The item column is written through an array view (`MutableArrayView`): a subscript write to an array checks
        // its uniqueness each time, a runtime call per scan on this serial path.
        var items = buffers.items
        buffers.items = []
        defer { buffers.items = items }
        items.removeAll(keepingCapacity: true)
        items.append(contentsOf: repeatElement(Self.unknownItem, count: count))
        // First the hashes (sequential reads of the batch), then the probes: independent loads, so their cache misses
        // overlap instead of queueing behind each other.
        var hashes = buffers.hashes
        hashes.removeAll(keepingCapacity: true)
        writer.itemCache.hasher.appendHashes(of: batch, to: &hashes)
        stopwatch.lap(.hashes, into: &phases.items)
        var unknown = count
        // Both tables below are probed by chunks whose slots are touched first (``CacheTouch``).
        var touched: UInt64 = 0
        if useItemCache {
            writer.probeItemCache { cache in items.withMutableArrayView { items in
                var chunk = 0
                while chunk < count {
                    let end = min(chunk + CacheTouch.chunk, count)
                    for index in chunk..<end { touched ^= cache.touch(hash: hashes[index]) }
                    for index in chunk..<end {
                        if let item = cache.lookup(hash: hashes[index]) {
                            items[index] = item
                            unknown -= 1
                        }
                    }
                    chunk = end
                }
            } }
        }
        stopwatch.lap(.cacheProbes, into: &phases.items)
        // The names the cache did not answer, each once, and the ordinal of the name of every scan naming one.
        var names = buffers.names
        buffers.names = BatchNames()
        defer { buffers.names = names }
        names.reset(forUpTo: unknown, exact: !useItemCache)
        var ordinals = buffers.nameOrdinals
        ordinals.removeAll(keepingCapacity: true)
        ordinals.append(contentsOf: repeatElement(-1, count: count))
        var chunk = 0
        while chunk < count {
            let end = min(chunk + CacheTouch.chunk, count)
            for index in chunk..<end where items[index] == Self.unknownItem {
                touched ^= names.touch(hash: hashes[index])
            }
            for index in chunk..<end where items[index] == Self.unknownItem {
                let ordinal = names.ordinal(ofScan: index, hash: hashes[index], in: batch, unknown: Self.unknownItem)
                ordinals[index] = ordinal
                if buffers.status[index] == .new { names.hasNewScan[Int(ordinal)] = true }
            }
            chunk = end
        }
        CacheTouch.keep(touched)
        buffers.hashes = hashes
        defer { buffers.nameOrdinals = ordinals }
        stopwatch.lap(.unknownNames, into: &phases.items)
        if !names.isEmpty {
            try lookUpNamesAndCheck(&names, ordinals)
        }
        stopwatch.lap(.nameLookups, into: &phases.items)
        // New ids for the names still unknown that a new scan names (a resend alone creates nothing), in the order the
        // batch first mentions them; then every such scan takes its name's item. Both loops read dense arrays.
        for ordinal in 0..<names.count where names[ordinal] == Self.unknownItem && names.hasNewScan[ordinal] {
            guard counters.nextItem < Self.unknownItem else {
                throw StoreError("the store holds \(UInt32.max) items, the most item ids can number")
            }
            let item = counters.nextItem
            counters.nextItem += 1
            names[ordinal] = item
            let name = names.name(ordinal)
            newItemNames.append(name)
            stagedItems.append((name, item))
        }
        items.withMutableArrayView { items in
            for index in 0..<count where items[index] == Self.unknownItem {
                items[index] = names[Int(ordinals[index])]
            }
        }
        stopwatch.lap(.newIDs, into: &phases.items)
    }

    /// Looks the batch's unknown names up and, when they were told apart by hash alone, checks every scan's name
    /// against its ordinal's: a large batch checks on the helper thread while this one reads the database.
    mutating func lookUpNamesAndCheck(_ names: inout BatchNames, _ ordinals: [Int32]) throws {
        guard !names.exact else { return try lookUpNames(&names) }
        let allNames = names.names
        let batch = self.batch
        let check = {
            ordinals.withArrayView {
                BatchNames.namesMatch(allNames, ordinals: $0, in: batch, range: 0..<batch.count)
            }
        }
        var matches = true
        if ordinals.count >= Self.helperCheckScans {
            var failure: (any Error)? = nil
            writer.helper.run(background: { matches = check() }) {
                do { try lookUpNames(&names) } catch { failure = error }
            }
            if let failure { throw failure }
        } else {
            try lookUpNames(&names)
            matches = check()
        }
        if !matches { throw ItemCacheCollision() }
    }

    /// Batches of at least this many scans check their names on the helper thread.
    static var helperCheckScans: Int { 65_536 }

    /// Resolves names against the `names` database, walking its blocks in key order with one cursor.
    ///
    /// Keeps the names' ordinals in name order in ``lookedUpNames``: the new ones among them are what
    /// ``insertNames()`` inserts, already sorted.
    mutating func lookUpNames(_ names: inout BatchNames) throws {
        let allNames = names.names
        let sorted = NameSortKey.sorted(allNames).map(\.ordinal)
        defer { lookedUpNames = sorted }
        var block = NameBlock()
        var blockRange: (first: InlineBytes, next: InlineBytes?)? = nil
        try transaction.withCursor(databases.names) { cursor in
            for ordinal in sorted {
                let name = allNames[Int(ordinal)]
                if let range = blockRange, range.first <= name, range.next.map({ name < $0 }) ?? true {
                    // The decoded block covers it.
                } else {
                    guard let located = try NameIndex.locateBlock(&cursor, name, into: &block) else {
                        blockRange = nil
                        continue
                    }
                    blockRange = located
                }
                let (index, found) = block.search(name)
                if found {
                    names[Int(ordinal)] = block.ids[index]
                    stagedItems.append((name, block.ids[index]))
                }
            }
        }
    }

    /// Inserts the names of the items this commit created into the `names` blocks.
    ///
    /// Waybill numbers are issued in sequence, so new names usually sort after every stored one: they fill the last
    /// block and then append fresh full blocks (`MDB_APPEND`), and blocks stay full.
    mutating func insertNames() throws {
        guard !newItemNames.isEmpty else { return }
        // Every new name missed the item cache and was looked up, in name order: those given new ids are the new
        // names sorted, without sorting them again.
        var sorted: [InlineBytes] = []
        var ids: [UInt32] = []
        sorted.reserveCapacity(newItemNames.count)
        ids.reserveCapacity(newItemNames.count)
        for ordinal in lookedUpNames {
            let item = buffers.names[Int(ordinal)]
            if item >= firstNewItem && item != Self.unknownItem {
                sorted.append(buffers.names.name(Int(ordinal)))
                ids.append(item)
            }
        }
        precondition(sorted.count == newItemNames.count, "every new item's name was looked up")
        var index = 0
        var block = NameBlock()
        try transaction.withCursor(databases.names) { cursor in
            while index < sorted.count {
                let name = sorted[index]
                let located = try NameIndex.locateBlock(&cursor, name, into: &block)
                // Every new name below the next block's first name goes into this block.
                var end = index
                while end < sorted.count, located?.next.map({ sorted[end] < $0 }) ?? true { end += 1 }
                let oldFirst = located?.first
                if located == nil { block = NameBlock() }
                var merged = NameBlock()
                var left = 0
                var right = index
                while left < block.count || right < end {
                    if right == end || (left < block.count && block.names[left] < sorted[right]) {
                        merged.names.append(block.names[left])
                        merged.ids.append(block.ids[left])
                        left += 1
                    } else {
                        merged.names.append(sorted[right])
                        merged.ids.append(ids[right])
                        right += 1
                    }
                }
                if let oldFirst, oldFirst != merged.names[0] {
                    try oldFirst.withBytes { key in _ = try transaction.delete(databases.names, Key(key)) }
                }
                try writeNameBlocks(merged, appendAfterLast: located?.next == nil)
                index = end
            }
        }
    }

    /// Writes a merged block, split into blocks of at most ``NameBlock/capacity`` names filled from the left.
    mutating func writeNameBlocks(_ merged: NameBlock, appendAfterLast: Bool) throws {
        var start = 0
        var first = true
        while start < merged.count {
            let end = min(start + NameBlock.capacity, merged.count)
            var piece = NameBlock()
            piece.names = Array(merged.names[start..<end])
            piece.ids = Array(merged.ids[start..<end])
            buffers.writer.removeAll()
            piece.encode(into: buffers.writer)
            let key = piece.names[0].withBytes { Key($0) }
            // Pieces after the first of the last block sort after every key: append.
            try transaction.put(databases.names, key, buffers.writer, append: appendAfterLast && !first)
            first = false
            start = end
        }
    }
}

/// A name of the batch by its sort prefix (``InlineBytes/sortPrefix``), for ``WriteSession/lookUpNames(_:)``.
///
/// These 24-byte keys sort as integers; the 56-byte (name, ordinal) tuples are compared only where the first sixteen
/// bytes and the lengths tie, which is rare.
struct NameSortKey {
    var high: UInt64
    var low: UInt64
    var count: UInt8
    var ordinal: Int32

    /// The keys of `names` (ordinal = position) in the order of the names.
    static func sorted(_ names: [InlineBytes]) -> [NameSortKey] {
        var keys: [NameSortKey] = []
        keys.reserveCapacity(names.count)
        for (ordinal, name) in names.enumerated() {
            let prefix = name.sortPrefix
            keys.append(NameSortKey(high: prefix.high, low: prefix.low, count: name.count, ordinal: Int32(ordinal)))
        }
        keys.sort { left, right in
            if left.high != right.high { return left.high < right.high }
            if left.low != right.low { return left.low < right.low }
            // Equal first sixteen bytes: a name of at most sixteen is a prefix of the other (or equal to it).
            if left.count <= 16 || right.count <= 16 { return left.count < right.count }
            return names[Int(left.ordinal)] < names[Int(right.ordinal)]
        }
        return keys
    }
}
