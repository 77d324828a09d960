import RastroCore

/// The distinct tracking ids of one batch that the item cache did not answer, with the item each resolves to.
///
/// A `Dictionary` keyed by ``InlineBytes`` hashed every 48-byte name with SipHash twice per scan (insert, then look
/// up) and showed as 6% of an import's CPU. This table reuses the 64-bit hashes the writer already computed for
/// ``ItemCache``. Open addressing over flat 16-byte slots, kept at most half full, reused between commits.
///
/// With `exact` off, equal hashes are taken as equal names, as the item cache does, and
/// ``namesMatch(_:ordinals:in:range:)`` then checks every scan's name against its ordinal's in batch order (on the
/// helper thread, while the writer looks the names up). A mismatch retries the commit with `exact` on, where a hash
/// match is confirmed by comparing the names as they are added, with the copy taken when the name was added (reading
/// the first scan's name in the batch instead, at random, cost 40 ns per scan). Comparing them so in every commit
/// cost the writer 30–40 ns per scan of an import; leaving the check to the block workers, which read the names in
/// item order, at random, cost them more.
struct BatchNames {
    struct Slot {
        var hash: UInt64 = 0
        /// The name's ordinal, or -1 for an empty slot.
        var ordinal: Int32 = -1
    }

    private(set) var slots: [Slot] = []
    private var mask = 0
    /// Per name, by ordinal (the order in which the batch first mentions the names): its slot in the table, the name,
    /// its item, and whether a scan naming it is new. Dense arrays, so that what is read per scan
    /// after the table is built stays in the level-2 cache.
    private var positions: [Int32] = []
    /// Each name, copied when it is added: the batch is read in order then, not at random later.
    private(set) var names: [InlineBytes] = []
    private var items: [UInt32] = []
    var hasNewScan: [Bool] = []
    /// Whether a hash match is confirmed by comparing names.
    private(set) var exact = true

    var isEmpty: Bool { names.isEmpty }
    var count: Int { names.count }

    /// Empties the table, sized for up to `distinct` names.
    mutating func reset(forUpTo distinct: Int, exact: Bool) {
        self.exact = exact
        var size = 64
        while size < 2 * distinct { size *= 2 }
        if slots.count != size {
            slots = [Slot](repeating: Slot(), count: size)
        } else {
            for position in positions { slots[Int(position)] = Slot() }
        }
        mask = size - 1
        positions.removeAll(keepingCapacity: true)
        names.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
        hasNewScan.removeAll(keepingCapacity: true)
    }

    /// Loads the first slot ``ordinal(ofScan:hash:in:unknown:)`` reads, for its cache line (``CacheTouch``).
    @inline(__always)
    func touch(hash: UInt64) -> UInt64 { slots[Int(truncatingIfNeeded: hash) & mask].hash }

    /// The ordinal of the name of scan `index` (whose hash is `hash`), added with an unknown item if absent.
    @inline(__always)
    mutating func ordinal(ofScan index: Int, hash: UInt64, in batch: ScanBatch, unknown: UInt32) -> Int32 {
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[position]
            if slot.ordinal < 0 {
                let ordinal = Int32(names.count)
                slots[position] = Slot(hash: hash, ordinal: ordinal)
                positions.append(Int32(position))
                names.append(batch.inline(batch.scans[index].trackingID))
                items.append(unknown)
                hasNewScan.append(false)
                return ordinal
            }
            if slot.hash == hash && (!exact || names[Int(slot.ordinal)] == batch.inline(batch.scans[index].trackingID)) {
                return slot.ordinal
            }
            position = (position + 1) & mask
        }
    }

    /// Whether the name of every scan given an ordinal (`ordinals[index] >= 0`) is that ordinal's name: what makes
    /// ordinals given by hash alone exact. Reads the batch in order; `names` is ``names``, passed so that another
    /// thread may check while this table's items are filled in.
    static func namesMatch(
        _ names: [InlineBytes], ordinals: UnsafeBufferPointer<Int32>, in batch: ScanBatch, range: Range<Int>
    ) -> Bool {
        batch.bytes.withUnsafeBytes { bytes in
            batch.scans.withUnsafeBufferPointer { scans in
                names.withUnsafeBufferPointer { names in
                    var matches = true
                    for index in range where ordinals[index] >= 0 {
                        let span = scans[index].trackingID
                        let name = UnsafeRawBufferPointer(
                            rebasing: bytes[Int(span.offset)..<Int(span.offset + span.length)])
                        matches = matches && names[Int(ordinals[index])].equals(name)
                    }
                    return matches
                }
            }
        }
    }

    /// The item of name `ordinal`.
    subscript(ordinal: Int) -> UInt32 {
        get { items[ordinal] }
        set { items[ordinal] = newValue }
    }

    /// Name `ordinal`.
    func name(_ ordinal: Int) -> InlineBytes { names[ordinal] }
}
