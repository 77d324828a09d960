import RastroCore
import RastroPrimitives

/// The distinct tracking ids of one batch that the item cache did not answer, with the item each resolves to.
///
/// A `Dictionary` keyed by ``InlineBytes`` would hash every 48-byte name with SipHash twice per scan (insert, then
/// look up); this table reuses the 64-bit hashes the writer already computed for ``ItemCache``. Open addressing over flat 8-byte slots (``Slot``), kept at most half full, reused between commits.
///
/// With `exact` off, equal hashes are taken as equal names, as the item cache does, and
/// ``namesMatch(_:ordinals:in:range:)`` then checks every scan's name against its ordinal's in batch order (on the
/// helper thread, while the writer looks the names up). A mismatch retries the commit with `exact` on, where a hash
/// match is confirmed by comparing the names as they are added, with the copy taken when the name was added (the
/// first scan's name in the batch would be a random read). Comparing so in every commit would cost the writer's
/// serial path; the block workers, which read names in item order, at random, would pay more.
struct BatchNames {
    /// Eight bytes: the hash's high 32 bits (its low bits are the slot's position) and the name's ordinal. The table
    /// is probed at random, once per scan the item cache did not answer; at 16 bytes a slot (the whole hash) and sized
    /// for every such scan rather than for the distinct names, it took 8 MB for a 500,000-scan commit, four times
    /// what it takes now. Equal tags at one position are taken as equal names exactly as equal hashes were: the names
    /// check catches a mismatch.
    struct Slot {
        var tag: UInt32 = 0
        /// The name's ordinal, or -1 for an empty slot.
        var ordinal: Int32 = -1
    }

    private(set) var slots: [Slot] = []
    private var mask = 0
    /// Per name, by ordinal (the order in which the batch first mentions the names): its slot in the table, the name,
    /// its item, and whether a scan naming it is new. Dense arrays, so that what is read per scan
    /// after the table is built stays in the level-2 cache.
    private var positions: [Int32] = []
    /// Each name's hash as the caller gave it (the table grows by these: the caller's hashes may come from a column
    /// the validator filled, or from a test's hasher).
    private var hashes: [UInt64] = []
    /// Each name, copied when it is added: the batch is read in order then, not at random later.
    private(set) var names: [InlineBytes] = []
    private var items: [UInt32] = []
    var hasNewScan: [Bool] = []
    /// Whether a hash match is confirmed by comparing names.
    private(set) var exact = true

    var isEmpty: Bool { names.isEmpty }
    var count: Int { names.count }

    /// Empties the table, sized for `expected` names; it grows (kept at most half full) if more come.
    mutating func reset(forUpTo expected: Int, exact: Bool) {
        self.exact = exact
        var size = 64
        while size < expected { size *= 2 }
        if slots.count != size {
            slots = [Slot](repeating: Slot(), count: size)
        } else {
            slots.withMutableArrayView { slots in
                for position in positions { slots[Int(position)] = Slot() }
            }
        }
        mask = size - 1
        positions.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        names.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
        hasNewScan.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) }

    /// Loads the first slot ``ordinal(ofScan:hash:in:unknown:)`` reads, for its cache line (``CacheTouch``).
    @inline(__always)
    func touch(hash: UInt64) -> UInt64 { UInt64(slots[Int(truncatingIfNeeded: hash) & mask].tag) }

    /// The ordinal of the name of scan `index` (whose hash is `hash`), added with an unknown item if absent.
    @inline(__always)
    mutating func ordinal(ofScan index: Int, hash: UInt64, in batch: ScanBatch, unknown: UInt32) -> Int32 {
        let tag = Self.tag(hash)
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[position]
            if slot.ordinal < 0 {
                if 2 * (names.count + 1) > slots.count {
                    grow()
                    return ordinal(ofScan: index, hash: hash, in: batch, unknown: unknown)
                }
                let ordinal = Int32(names.count)
                slots[position] = Slot(tag: tag, ordinal: ordinal)
                positions.append(Int32(position))
                hashes.append(hash)
                names.append(batch.inline(batch.scans[index].trackingID))
                items.append(unknown)
                hasNewScan.append(false)
                return ordinal
            }
            if slot.tag == tag && (!exact || names[Int(slot.ordinal)] == batch.inline(batch.scans[index].trackingID)) {
                return slot.ordinal
            }
            position = (position + 1) & mask
        }
    }

    /// Doubles the table and places every name again.
    private mutating func grow() {
        let size = 2 * slots.count
        var grown = [Slot](repeating: Slot(), count: size)
        let mask = size - 1
        for ordinal in names.indices {
            let hash = hashes[ordinal]
            var position = Int(truncatingIfNeeded: hash) & mask
            while grown[position].ordinal >= 0 { position = (position + 1) & mask }
            grown[position] = Slot(tag: Self.tag(hash), ordinal: Int32(ordinal))
            positions[ordinal] = Int32(position)
        }
        slots = grown
        self.mask = mask
    }

    /// Whether the name of every scan given an ordinal (`ordinals[index] >= 0`) is that ordinal's name: what makes
    /// ordinals given by hash alone exact. Reads the batch in order; `names` is ``names``, passed so that another
    /// thread may check while this table's items are filled in.
    static func namesMatch(
        _ names: [InlineBytes], ordinals: ArrayView<Int32>, in batch: ScanBatch, range: Range<Int>
    ) -> Bool {
        batch.bytes.withByteView { bytes in
            batch.scans.withArrayView { scans in
                names.withArrayView { names in
                    var matches = true
                    for index in range where ordinals[index] >= 0 {
                        let span = scans[index].trackingID
                        let name = bytes.part(Int(span.offset)..<Int(span.offset + span.length))
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
