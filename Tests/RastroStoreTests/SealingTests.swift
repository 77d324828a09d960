import RastroCore
@testable import RastroStore
import RastroTestSupport
import Testing

/// The sealers compress what went cold a bounded amount per commit; the bound must still let them keep up with
/// large commits, or cold values stay raw and the store grows.
@Suite("Sealing")
struct SealingTests {
    /// 21 days of 7,200 new items a day (586 trace blocks) in three commits of a week each: every commit moves the
    /// newest day on by seven days and creates ~200 blocks.
    @Test func sealersKeepUpWithCommitsThatSpanAWeek() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        let day: Int64 = 86_400_000
        let start = StoreSmokeTests.t0
        var item = 0
        for week in 0..<3 {
            var batch = ScanBatch(reservingScans: 7 * 7_200)
            for dayOfWeek in 0..<7 {
                for index in 0..<7_200 {
                    let time = start + Int64(week * 7 + dayOfWeek) * day + Int64(index) * 10_000
                    batch.append(
                        trackingID: "GU\(1_000_000 + item)", event: .pickedUp, scannedAt: time, messenger: "M\(index % 40)",
                        workCenter: "C\(index % 3)", device: "D\(index % 40)", seq: UInt64(item + 1), receivedAt: time)
                    item += 1
                }
            }
            let report = try store.ingest(batch)
            #expect(report.accepted == 7 * 7_200)
        }
        let counters = try store.counters()
        let latestBlock = (counters.nextItem - 1) >> TraceBlock.itemShift
        #expect(latestBlock == UInt32((item - 1) >> 8))
        #expect(counters.sealedBelow == latestBlock - WriteSession.hotBlocks + 1)
        #expect(counters.cellsSealedBelow == counters.newestDay - WriteSession.coldDays)
        // These blocks were never touched after their first commit, so the sealer, not a block worker, sealed them.
        // Each must decode, from what is stored, to the scans it was given.
        try store.read { reader in
            for number in UInt32(0)..<counters.sealedBelow {
                let sealed = try reader.transaction.withValue(reader.databases.items, Key.uint32(number)) {
                    TraceBlock.isSealed($0)
                }
                #expect(sealed == true, "block \(number) is not sealed")
                let block = try #require(try reader.block(containing: number << TraceBlock.itemShift))
                #expect(block.itemCount == TraceBlock.capacity)
                for index in 0..<block.itemCount {
                    let item = Int(block.firstItem) + index
                    #expect(block.names[index].string == "GU\(1_000_000 + item)")
                    #expect(block.timeline(index).map(\.seq) == [UInt64(item + 1)], "item \(item)")
                }
            }
        }
    }

    /// The block sealer takes a block leaving the hot window from the decoded-block cache when it is there, instead
    /// of decoding its stored value with its tails: the sealed value must hold every scan the tails held.
    @Test func blocksSealedFromTheDecodedCacheKeepTheirTails() throws {
        let directory = TemporaryDirectory()
        let day: Int64 = 86_400_000
        let start = StoreSmokeTests.t0
        var seq: UInt64 = 0
        func scan(_ batch: inout ScanBatch, item: Int, _ event: Event, at time: Int64) {
            seq += 1
            batch.append(
                trackingID: "GU\(1_000_000 + item)", event: event, scannedAt: time, messenger: "M\(item % 40)",
                workCenter: "C\(item % 3)", device: "D\(item % 40)", seq: seq, receivedAt: time)
        }
        let tailedItems = 60 * TraceBlock.capacity
        do {
            let store = try Store(directory: directory.path)
            // Sixty blocks of new items, then a second scan for every third of them: each block gets a tail.
            var first = ScanBatch(reservingScans: tailedItems)
            for item in 0..<tailedItems { scan(&first, item: item, .pickedUp, at: start + Int64(item) * 1_000) }
            #expect(try store.ingest(first).accepted == tailedItems)
            var second = ScanBatch(reservingScans: tailedItems / 3)
            for item in stride(from: 0, to: tailedItems, by: 3) {
                scan(&second, item: item, .received, at: start + day + Int64(item) * 1_000)
            }
            #expect(try store.ingest(second).accepted == tailedItems / 3)
            let tailed = try store.read { reader in
                try reader.transaction.withValue(reader.databases.items, Key.uint32(7)) { TraceBlock.envelope(of: $0) }
            }
            #expect(tailed??.tails == 1)
            #expect(store.writer!.withSerialAccess { $0.blockCache.peek(7) } != nil)
            // New items enough to push the sixty blocks out of the hot window: the sealer seals them this commit.
            let newItems = (Int(WriteSession.hotBlocks) + 40) * TraceBlock.capacity
            var third = ScanBatch(reservingScans: newItems)
            for item in tailedItems..<(tailedItems + newItems) {
                scan(&third, item: item, .pickedUp, at: start + 2 * day + Int64(item) * 10)
            }
            #expect(try store.ingest(third).accepted == newItems)
            #expect(try store.counters().sealedBelow >= 60)
        }
        // A new process: no cache, every block decoded from what was stored.
        let store = try Store(directory: directory.path)
        try store.read { reader in
            for number in UInt32(0)..<60 {
                let sealed = try reader.transaction.withValue(reader.databases.items, Key.uint32(number)) {
                    TraceBlock.isSealed($0)
                }
                #expect(sealed == true, "block \(number) is not sealed")
            }
            for number in UInt32(0)..<60 {
                let block = try #require(try reader.block(containing: number << TraceBlock.itemShift))
                #expect(block.itemCount == TraceBlock.capacity)
                for index in 0..<block.itemCount {
                    let item = Int(block.firstItem) + index
                    #expect(block.names[index].string == "GU\(1_000_000 + item)")
                    let events = block.timeline(index).map(\.event)
                    #expect(events == (item % 3 == 0 ? [.pickedUp, .received] : [.pickedUp]), "item \(item)")
                }
            }
        }
    }
}
