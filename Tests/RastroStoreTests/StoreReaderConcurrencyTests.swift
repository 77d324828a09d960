import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// Decoding on two cores gives what decoding on one does: every block and every touched list once, in order, with
/// zstd-sealed blocks on both threads, and errors from either thread reach the caller.
@Suite("StoreReader on two cores")
struct StoreReaderConcurrencyTests {
    /// 140,000 items of two scans each over two days: 547 trace blocks, the oldest sealed with zstd.
    static let store: (TemporaryDirectory, Store) = {
        let directory = TemporaryDirectory()
        let store = try! Store(directory: directory.path)
        var batch = ScanBatch(reservingScans: 280_000)
        for item in 0..<140_000 {
            let time = StoreSmokeTests.t0 + Int64(item) * 1_000
            for (step, event) in [Event.pickedUp, .received].enumerated() {
                batch.append(
                    trackingID: "GU\(1_000_000 + item)", event: event, scannedAt: time + Int64(step) * 86_400_000,
                    messenger: "M\(item % 40)", workCenter: "C\(item % 3)", device: "D\(item % 40)",
                    seq: UInt64(2 * item + step + 1), receivedAt: time)
            }
        }
        _ = try! store.ingest(batch)
        return (directory, store)
    }()

    @Test func blocksDecodedOnTwoCoresMatchBlocksDecodedOneByOne() throws {
        let store = Self.store.1
        let lastBlock = (try store.counters().nextItem - 1) >> TraceBlock.itemShift
        // Every block, a missing one past the end, and an uneven split.
        let numbers = Array(0...(lastBlock + 1))
        try store.read { reader in
            let sealed = try (0...lastBlock).filter { number in
                try reader.transaction.withValue(reader.databases.items, Key.uint32(number)) { TraceBlock.isSealed($0) } ?? false
            }
            #expect(!sealed.isEmpty, "the test must cover sealed blocks")
            typealias Part = [(number: UInt32, names: [InlineBytes], scans: [StoredScan])]
            let parts = try reader.reduceBlocks(numbers, into: Part()) { part, block in
                part.append((block.number, block.names, block.scans))
            }
            #expect(parts.count == 2)
            let decoded = parts.flatMap { $0 }
            #expect(decoded.map(\.number) == Array(0...lastBlock))
            for entry in decoded {
                let one = try #require(try reader.block(containing: entry.number << TraceBlock.itemShift))
                #expect(entry.names == one.names)
                #expect(entry.scans == one.scans)
            }
        }
    }

    @Test func touchedListsDecodedAlongsideMatchTheSequentialOnes() throws {
        let store = Self.store.1
        try store.read { reader in
            let days = try #require(try reader.dayRange())
            var expected: [UInt64] = []
            try reader.forEachTouchedEvents(days: days.lowerBound..<(days.upperBound + 1)) { _, items in expected += items }
            var first: [UInt64] = []
            var second: [UInt64] = []
            let limit = try reader.counters().nextItem
            try reader.forEachTouchedList(
                days: days.lowerBound..<(days.lowerBound + 1),
                { list in try list.forEach(below: limit) { item, events in first.append(UInt64(item) << 8 | UInt64(events)) } },
                alongside: (days.lowerBound + 1)..<(days.upperBound + 1),
                { list in try list.forEach(below: limit) { item, events in second.append(UInt64(item) << 8 | UInt64(events)) } })
            #expect(!first.isEmpty && !second.isEmpty)
            #expect(first + second == expected)
        }
    }

    @Test func anItemBeyondTheCounterIsCorruptionNamingTheDay() throws {
        let store = Self.store.1
        try store.read { reader in
            let days = try #require(try reader.dayRange())
            let lists = try reader.touchedLists(days: days.lowerBound..<(days.lowerBound + 1))
            let list = try #require(lists.first)
            let error = try #require(throws: StoreCorruption.self) { try list.forEach(below: 1_000) { _, _ in } }
            #expect(error.message.contains("touched[day \(days.lowerBound)]"))
            #expect(error.message.contains("beyond the item counter 1000"))
        }
    }

    struct Failure: Error, Equatable {}

    @Test func aNestedCallRunsOnOneThreadAndErrorsReachTheCaller() throws {
        let store = Self.store.1
        try store.read { reader in
            // The outer call holds the helper thread, so the inner one runs both of its halves here.
            let (outer, inner) = try reader.concurrently({ try reader.concurrently({ 1 }, { 2 }) }, { "second" })
            #expect(outer.0 == 1 && outer.1 == 2 && inner == "second")
            #expect(throws: Failure.self) { _ = try reader.concurrently({ 1 }, { () throws -> Int in throw Failure() }) }
            #expect(throws: Failure.self) { _ = try reader.concurrently({ () throws -> Int in throw Failure() }, { 2 }) }
        }
    }
}
