import RastroCore
import Testing

@Suite("partitioningIndex")
struct PartitionTests {
    /// The binary search gives what a linear scan for the first element at or above each value gives, on sorted
    /// arrays with duplicates, below, between and above their elements, and on the empty array.
    @Test(arguments: [[Int](), [5], [1, 1, 1], [1, 3, 3, 3, 7, 9, 9, 12], Array(0..<100).map { $0 * 2 }])
    func findsTheFirstElementAtOrAboveAValue(sorted: [Int]) {
        for value in -1...((sorted.last ?? 0) + 2) {
            let expected = sorted.firstIndex { $0 >= value } ?? sorted.endIndex
            #expect(sorted.partitioningIndex { $0 >= value } == expected, "value \(value)")
        }
    }

    @Test func worksOnSlicesWithTheirOwnIndices() {
        let slice = [0, 2, 4, 6, 8, 10][2...]
        #expect(slice.partitioningIndex { $0 >= 5 } == 3)
        #expect(slice.partitioningIndex { $0 >= 0 } == 2)
        #expect(slice.partitioningIndex { $0 >= 11 } == 6)
    }
}
