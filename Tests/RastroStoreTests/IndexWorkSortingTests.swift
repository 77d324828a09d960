import RastroCore
@testable import RastroStore
import Testing

/// Sorting records by time as integers, then runs of equal times by the records' order, must give exactly what the
/// records' own comparison sort gives.
@Suite("Index work: sorting by time")
struct IndexWorkSortingTests {
    struct Random {
        var state: UInt64
        mutating func below(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    /// Counts on both sides of the radix sort's threshold; few distinct times, so that runs of equal times are long;
    /// and a span of times too wide to pack, which falls back to the comparison sort.
    @Test(arguments: [(2, 5), (40, 3), (600, 50), (5_000, 7), (5_000, 100_000), (3_000, -1)])
    func cellRecordsSortAsTheirComparisonSortDoes(count: Int, distinctTimes: Int) {
        var random = Random(state: UInt64(count * 7 + distinctTimes))
        let base: Int64 = 1_788_274_800_000
        var records = (0..<count).map { _ in
            let time = distinctTimes < 0
                ? (random.below(2) == 0 ? base : base + (1 << 41)) : base + Int64(random.below(distinctTimes)) * 1_000
            return CellRecord(
                time: time, event: Event(rawValue: UInt8(random.below(Event.count)))!,
                previousEventCode: UInt8(random.below(8)), previousCenter: UInt32(random.below(3)),
                reason: UInt32(random.below(2)))
        }
        let expected = records.sorted()
        var keys: [UInt64] = []
        var scratch: [UInt64] = []
        IndexWork.sortByTime(&records, keys: &keys, scratch: &scratch) { $0.time }
        #expect(records == expected)
    }

    @Test(arguments: [1, 700])
    func currentRecordsSortAsTheirComparisonSortDoes(count: Int) {
        var random = Random(state: UInt64(count))
        var records = (0..<count).map { _ in
            CurrentRecord(
                time: 1_788_274_800_000 + Int64(random.below(20)), item: UInt32(random.below(1_000)),
                center: UInt32(random.below(4)), messenger: UInt32(random.below(4)))
        }
        let expected = records.sorted()
        var keys: [UInt64] = []
        var scratch: [UInt64] = []
        IndexWork.sortByTime(&records, keys: &keys, scratch: &scratch) { $0.time }
        #expect(records == expected)
    }
}
