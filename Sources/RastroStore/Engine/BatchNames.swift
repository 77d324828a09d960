import RastroCore

/// The distinct tracking ids of one batch that the item cache did not answer, with the item each resolves to.
///
/// A `Dictionary` keyed by ``InlineBytes`` hashed every 48-byte name with SipHash twice per scan (insert, then look
/// up) and showed as 6% of an import's CPU. This table reuses the 64-bit hashes the writer already computed for
/// ``ItemCache``. Open addressing over flat 16-byte slots, kept at most half full, reused between commits.
///
/// With `exact` off, equal hashes are taken as equal names, as the item cache does, and under the same guard: every
/// scan's name is checked against its item's name when its block is rewritten, and a mismatch retries the commit
/// with `exact` on, where a hash match is confirmed by comparing the names (a random read of the batch per probe,
/// which cost 40 ns per scan).
struct BatchNames {
    struct Slot {
        var hash: UInt64 = 0
        /// The batch index of the first scan naming it, or -1 for an empty slot.
        var first: Int32 = -1
        var item: UInt32 = 0
    }

    private(set) var slots: [Slot] = []
    private var mask = 0
    /// Indexes of the occupied slots, in insertion order.
    private(set) var occupied: [Int32] = []
    /// Whether a hash match is confirmed by comparing names.
    private(set) var exact = true

    var isEmpty: Bool { occupied.isEmpty }

    /// Empties the table, sized for up to `names` distinct names.
    mutating func reset(forUpTo names: Int, exact: Bool) {
        self.exact = exact
        var size = 64
        while size < 2 * names { size *= 2 }
        if slots.count != size {
            slots = [Slot](repeating: Slot(), count: size)
        } else {
            for index in occupied { slots[Int(index)] = Slot() }
        }
        mask = size - 1
        occupied.removeAll(keepingCapacity: true)
    }

    /// The slot of the name of scan `index` (whose hash is `hash`), added with `item` if absent.
    @inline(__always)
    mutating func slot(ofScan index: Int, hash: UInt64, in batch: ScanBatch, adding item: UInt32) -> Int {
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[position]
            if slot.first < 0 {
                slots[position] = Slot(hash: hash, first: Int32(index), item: item)
                occupied.append(Int32(position))
                return position
            }
            if slot.hash == hash && (!exact || Self.sameName(batch, Int(slot.first), index)) { return position }
            position = (position + 1) & mask
        }
    }

    subscript(position: Int) -> UInt32 {
        get { slots[position].item }
        set { slots[position].item = newValue }
    }

    /// The name held in slot `position`.
    func name(at position: Int, in batch: ScanBatch) -> InlineBytes {
        batch.inline(batch.scans[Int(slots[position].first)].trackingID)
    }

    @inline(__always)
    private static func sameName(_ batch: ScanBatch, _ left: Int, _ right: Int) -> Bool {
        left == right || batch.inline(batch.scans[left].trackingID) == batch.inline(batch.scans[right].trackingID)
    }
}
