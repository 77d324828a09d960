import RastroStore

extension StoreReader {
    /// Calls `body` with the tracking id and timeline of each of `items` (sorted, unique), decoding each trace block
    /// once and the blocks in two halves at once, on two cores (see ``StoreReader/reduceBlocks(_:into:_:)``): each
    /// half's items go into its own `Part`, and the parts are returned in item order. `body` runs on both threads at
    /// once and must change nothing but the `Part` it is given.
    func reduceTimelines<Part>(
        items: [UInt32], into initial: Part, _ body: (inout Part, UInt32, String, ArraySlice<StoredScan>) throws -> Void
    ) throws -> [Part] {
        var numbers: [UInt32] = []
        for item in items where numbers.last != item >> TraceBlock.itemShift { numbers.append(item >> TraceBlock.itemShift) }
        return try reduceBlocks(numbers, into: initial) { part, block in
            var index = Self.firstIndex(in: items, atLeast: block.firstItem)
            while index < items.count && items[index] >> TraceBlock.itemShift == block.number {
                let position = Int(items[index] - block.firstItem)
                if position < block.itemCount {
                    try body(&part, items[index], block.names[position].string, block.timeline(position))
                }
                index += 1
            }
        }
    }

    /// The index of the first of `sorted` that is at least `value` (`sorted.count` when none is).
    static func firstIndex(in sorted: [UInt32], atLeast value: UInt32) -> Int {
        sorted.partitioningIndex { $0 >= value }
    }
}
