import RastroPrimitives
import Testing

@Suite("Radix sort")
struct RadixSortTests {
    enum Shape: String, CaseIterable, CustomTestStringConvertible {
        case fullRange, smallRange, packedItemAndIndex, allEqual, descending, highBitsOnly
        var testDescription: String { rawValue }
    }

    /// Keys of a given shape from a fixed seed, so that a failure reproduces.
    static func keys(_ shape: Shape, count: Int) -> [UInt64] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(count + 1)
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
        return (0..<count).map { index in
            switch shape {
            case .fullRange: return next()
            case .smallRange: return next() % 37
            case .packedItemAndIndex: return (next() % 2_000_000) << 32 | UInt64(index)
            case .allEqual: return 0xDEAD_BEEF
            case .descending: return UInt64(count - index) * 1_000_003
            case .highBitsOnly: return next() & 0xFFF0_0000_0000_0000
            }
        }
    }

    @Test(arguments: Shape.allCases, [0, 1, 2, 511, 512, 513, 4_099, 100_000])
    func sortsExactlyAsTheStandardLibrary(shape: Shape, count: Int) {
        let original = Self.keys(shape, count: count)
        var sorted = original
        RadixSort.sort(&sorted)
        #expect(sorted == original.sorted())
    }

    @Test func aReusedScratchBufferOfAnySizeGivesTheSameResult() {
        var scratch = [UInt64](repeating: 7, count: 3)
        for count in [10_000, 600, 50_000] {
            let original = Self.keys(.fullRange, count: count)
            var sorted = original
            RadixSort.sort(&sorted, scratch: &scratch)
            #expect(sorted == original.sorted())
        }
        #expect(scratch.count >= 50_000)
    }

    /// Keys whose low bits ascend in array order (a group above them, an index below, appended by index) sort by
    /// their high bits alone, exactly as a full sort does: groups of every width, including one that differs only in
    /// the lowest bit above the presorted ones.
    @Test(arguments: [24, 32], [1, 2, 700, 1 << 21])
    func keysWithPresortedLowBitsSortLikeAFullSort(lowBits: Int, groups: Int) {
        var state: UInt64 = UInt64(lowBits * 31 + groups)
        var keys: [UInt64] = []
        for index in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let group = (state >> 33) % UInt64(groups)
            keys.append(group << UInt64(lowBits) | UInt64(index))
        }
        var sorted = keys
        var scratch: [UInt64] = []
        RadixSort.sort(&sorted, scratch: &scratch, presortedLowBits: lowBits)
        #expect(sorted == keys.sorted())
    }
}
