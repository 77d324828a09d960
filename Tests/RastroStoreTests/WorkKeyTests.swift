import RastroCore
import Testing

@testable import RastroStore
import RastroPrimitives

@Suite("Block phase sort keys")
struct WorkKeyTests {
    /// Item, index and the check flag come back as they went in, at the extremes too.
    @Test(arguments: [
        (UInt32(0), 0, false), (0, 0, true), (7, 12_345, true), (UInt32.max - 1, WorkKey.maximumIndex, false),
        (UInt32.max - 1, WorkKey.maximumIndex, true),
    ])
    func roundTrips(item: UInt32, index: Int, checksName: Bool) {
        let key = WorkKey.make(item: item, index: index, checksName: checksName)
        #expect(WorkKey.item(key) == item)
        #expect(WorkKey.index(key) == index)
        #expect(WorkKey.checksName(key) == checksName)
    }

    /// Keys appended in batch order, whatever their flags, sort (by comparison, and by radix on the item alone) into
    /// item order with each item's scans in arrival order: the flag never reorders two scans of one item.
    @Test func sortingGroupsByItemInArrivalOrderWhateverTheFlags() {
        var random = SplitMixForTests(seed: 11)
        for count in [40, 5_000] {
            var keys: [UInt64] = []
            var expected: [(item: UInt32, index: Int)] = []
            for index in 0..<count {
                let item = UInt32(random.below(50))
                keys.append(WorkKey.make(item: item, index: index, checksName: random.below(2) == 0))
                expected.append((item, index))
            }
            expected.sort { $0.item != $1.item ? $0.item < $1.item : $0.index < $1.index }
            var radix = keys
            var scratch: [UInt64] = []
            RadixSort.sort(&radix, scratch: &scratch, presortedLowBits: 32)
            for sorted in [keys.sorted(), radix] {
                #expect(sorted.map(WorkKey.item) == expected.map(\.item))
                #expect(sorted.map(WorkKey.index) == expected.map(\.index))
            }
        }
    }
}
