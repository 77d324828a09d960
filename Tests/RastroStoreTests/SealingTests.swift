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
    }
}
