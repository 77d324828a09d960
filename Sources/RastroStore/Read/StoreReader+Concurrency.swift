import RastroCore
import RastroPrimitives

/// Questions that decode many values split the decoding over two cores. LMDB binds a read transaction to the thread
/// that began it, so this thread fetches every value first (views into the map, valid until the transaction
/// ends) and both threads then only decode bytes; no LMDB call is made off this thread.
extension StoreReader {
    /// Runs `first` here and `second` on the store's reader helper thread at the same time, and returns both results;
    /// both run here, one after the other, when another reader holds the helper. Neither may use this reader.
    public func concurrently<First, Second>(
        _ first: () throws -> First, _ second: () throws -> Second
    ) throws -> (First, Second) {
        try store.readerResources.withHelper { helper in
            guard let helper else { return (try first(), try second()) }
            var firstResult: Result<First, any Error>? = nil
            var secondResult: Result<Second, any Error>? = nil
            withoutActuallyEscaping(second) { second in
                helper.run(
                    background: { secondResult = Result { try second() } },
                    foreground: { firstResult = Result { try first() } })
            }
            return (try firstResult!.get(), try secondResult!.get())
        }
    }

    /// Decodes the `touched` lists of the days `first` here and of the days `second` on the helper thread, at the same
    /// time: `firstBody` and `secondBody` receive their lists in day order, each on its own thread.
    public func forEachTouchedList(
        days first: Range<UInt32>, _ firstBody: (TouchedList) throws -> Void,
        alongside second: Range<UInt32>, _ secondBody: (TouchedList) throws -> Void
    ) throws {
        let firstLists = try touchedLists(days: first)
        let secondLists = try touchedLists(days: second)
        _ = try concurrently(
            { for list in firstLists { try firstBody(list) } },
            { for list in secondLists { try secondBody(list) } })
    }

    /// Decodes the trace blocks `numbers` (ascending, unique; missing ones are skipped) on two cores: the first half
    /// here and the second on the helper, each into its own `Part` that starts as `initial`. Returns the two parts in
    /// block order. `body` runs on both threads at once and must change nothing but the `Part` it is given.
    public func reduceBlocks<Part>(
        _ numbers: [UInt32], into initial: Part, _ body: (inout Part, TraceBlock) throws -> Void
    ) throws -> [Part] {
        var values: [(number: UInt32, value: ByteView)] = []
        values.reserveCapacity(numbers.count)
        for number in numbers {
            if let value = try transaction.withValue(databases.items, Key.uint32(number), { $0 }) {
                values.append((number, value))
            }
        }
        let middle = values.count / 2
        let helperZstd = store.readerResources.takeZstd()
        defer { store.readerResources.giveBack(helperZstd) }
        var ownScratch = scratch
        defer { scratch = ownScratch }
        let (firstPart, secondPart) = try concurrently(
            { try Self.reduce(values[..<middle], initial, zstd: zstd, scratch: &ownScratch, body) },
            {
                var helperScratch: [UInt8] = []
                return try Self.reduce(values[middle...], initial, zstd: helperZstd, scratch: &helperScratch, body)
            })
        return [firstPart, secondPart]
    }

    private static func reduce<Part>(
        _ values: ArraySlice<(number: UInt32, value: ByteView)>, _ initial: Part, zstd: Zstd,
        scratch: inout [UInt8], _ body: (inout Part, TraceBlock) throws -> Void
    ) throws -> Part {
        var part = initial
        var block = TraceBlock(number: 0)
        for (number, value) in values {
            do {
                try block.decode(value, number: number, zstd: zstd, scratch: &scratch)
            } catch {
                throw error.located("items", "block \(number)")
            }
            try body(&part, block)
        }
        return part
    }

    /// The stored `touched` lists of `days`, pointing into the map: valid until this reader's transaction ends.
    func touchedLists(days: Range<UInt32>) throws -> [TouchedList] {
        guard !days.isEmpty else { return [] }
        var lists: [TouchedList] = []
        try transaction.withCursor(databases.touched) { cursor in
            try cursor.forEach(from: Key.uint32(days.lowerBound), before: Key.uint32(days.upperBound)) { entry in
                lists.append(TouchedList(day: UInt32(bigEndian: entry.key.load(at: 0, as: UInt32.self)), bytes: entry.value))
                return true
            }
        }
        return lists
    }
}

/// One local day's stored `touched` list (docs/storage.md §5.8), valid only inside the closure that received it.
public struct TouchedList {
    public let day: UInt32
    @usableFromInline let bytes: ByteView

    init(day: UInt32, bytes: ByteView) {
        self.day = day
        self.bytes = bytes
    }

    /// Calls `body` with each item scanned that day, ascending, and the events (bit `event`) it was scanned with
    /// (``TouchedItems/forEach(_:below:_:)``, with the day named in its errors).
    @inlinable
    public func forEach(below limit: UInt32, _ body: (_ item: UInt32, _ events: UInt8) -> Void) throws(StoreCorruption) {
        do {
            try TouchedItems.forEach(bytes, below: UInt64(limit), body)
        } catch {
            throw error.located("touched", "day \(day)")
        }
    }
}
