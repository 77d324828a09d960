import RastroCore
import Testing

@testable import RastroStore
import RastroPrimitives

@Suite("Duration histogram changes packed as integers")
struct DurationChangeTests {
    /// Key, bin and sign come back as they went in, at the extremes too (a key above 2^16 and the largest bin).
    @Test(arguments: [
        (UInt32(0), UInt16(0), false), (0, 0, true), (1, 127, true), (4_095, 3_711, false), (70_000, 1_234, true),
        (UInt32.max, UInt16.max, true), (UInt32.max, UInt16.max, false),
    ])
    func roundTrips(key: UInt32, bin: UInt16, isAdd: Bool) {
        let packed = DurationChange.pack(key: key, bin: bin, isAdd: isAdd)
        let group = DurationChange.group(packed)
        #expect(DurationChange.key(ofGroup: group) == key)
        #expect(DurationChange.bin(ofGroup: group) == bin)
        #expect(DurationChange.isAdd(packed) == isAdd)
    }

    /// Sorted packed changes come in (key, bin) order, and the changes of one cell are adjacent whatever their signs:
    /// what `IndexWork` sums. Keys above 16 bits included, so that a key's high bits cannot alias a bin.
    @Test func sortingOrdersByKeyThenBin() {
        var random = SplitMixForTests(seed: 5)
        var changes: [(key: UInt32, bin: UInt16, isAdd: Bool)] = []
        for _ in 0..<3_000 {
            let key = random.below(2) == 0 ? UInt32(random.below(40)) : UInt32(65_536 + random.below(40))
            changes.append((key, UInt16(random.below(3_712)), random.below(2) == 0))
        }
        var packed = changes.map { DurationChange.pack(key: $0.key, bin: $0.bin, isAdd: $0.isAdd) }
        var scratch: [UInt64] = []
        RadixSort.sort(&packed, scratch: &scratch)
        let cells = packed.map { (DurationChange.key(ofGroup: DurationChange.group($0)), DurationChange.bin(ofGroup: DurationChange.group($0))) }
        let expected = changes.map { ($0.key, $0.bin) }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        #expect(cells.map(\.0) == expected.map(\.0))
        #expect(cells.map(\.1) == expected.map(\.1))
    }
}
