import RastroPrimitives
import Testing

/// The hand-written tables against a naive oracle (a `Dictionary`), on keys that collide often.
@Suite struct KeyIndexTests {
    /// Keys drawn from a small range, so that many repeat; slots are dense, in first-seen order, and stable.
    @Test(arguments: [1, 63, 64, 65, 1_000, 50_000])
    func slotsAreDenseInFirstSeenOrder(count: Int) {
        var index = KeyIndex<UInt32>()
        var oracle: [UInt32: Int] = [:]
        var state: UInt64 = 42
        for _ in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let key = UInt32(truncatingIfNeeded: state >> 33) % UInt32(max(1, count / 3))
            let expected = oracle[key] ?? oracle.count
            oracle[key] = expected
            #expect(index.slot(adding: key) == expected)
        }
        #expect(index.count == oracle.count)
        for (key, slot) in oracle { #expect(index.slot(of: key) == slot && index.keys[slot] == key) }
        #expect(index.slot(of: UInt32.max) == nil)
        let kept = index.keys
        index.removeAll()
        #expect(index.isEmpty)
        #expect(kept.allSatisfy { index.slot(of: $0) == nil })
        // Reused after clearing: slots start again from 0.
        if let first = kept.last { #expect(index.slot(adding: first) == 0 && index.slot(of: first) == 0) }
    }

    /// Keys whose hashes agree in every low bit still get their own slots (linear probing past each other).
    @Test func keysCollidingInTheTableStillDiffer() {
        struct Colliding: FastHashable {
            var value: Int
            var fastHash: UInt64 { 7 }
        }
        var index = KeyIndex<Colliding>()
        for value in 0..<200 { #expect(index.slot(adding: Colliding(value: value)) == value) }
        for value in 0..<200 { #expect(index.slot(of: Colliding(value: value)) == value) }
    }
}

/// The per-commit change tables: every change kept, under its key, in the order added; keys ascending.
@Suite struct DeltaTableGroupingTests {
    @Test(arguments: [0, 1, 10, 5_000])
    func groupingMatchesADictionaryOfArrays(count: Int) {
        var table = DeltaTable<UInt64, Int>()
        var oracle: [UInt64: [Int]] = [:]
        for change in 0..<count {
            let key = UInt64((change &* 2_654_435_761) % 97)
            table.add(key, change)
            oracle[key, default: []].append(change)
        }
        let grouped = table.grouped()
        #expect(grouped.keys == oracle.keys.sorted())
        for (position, key) in grouped.keys.enumerated() { #expect(Array(grouped.changes(of: position)) == oracle[key]) }
    }
}
