import RastroStore

extension StoreReader {
    /// Calls `body` with the tracking id and timeline of each of `items` (sorted, unique), decoding each trace block
    /// once.
    func forEachTimeline(
        items: [UInt32], _ body: (UInt32, String, ArraySlice<StoredScan>) throws -> Void
    ) throws {
        var index = 0
        while index < items.count {
            let number = items[index] >> TraceBlock.itemShift
            guard let block = try block(containing: items[index]) else { index += 1; continue }
            while index < items.count && items[index] >> TraceBlock.itemShift == number {
                let item = items[index]
                let position = Int(item - block.firstItem)
                if position < block.itemCount {
                    try body(item, block.names[position].string, block.timeline(position))
                }
                index += 1
            }
        }
    }
}

extension StoreReader {
    /// Calls `body` with the tracking id of each of `items` (sorted, unique).
    func forEachTrackingID(items: [UInt32], _ body: (UInt32, String) throws -> Void) throws {
        try forEachTimeline(items: items) { item, trackingID, _ in try body(item, trackingID) }
    }
}
