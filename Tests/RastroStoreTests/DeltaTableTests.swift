@testable import RastroStore
import RastroTestSupport
import Testing
import RastroPrimitives

/// The flat per-commit change tables: grouping and merging must keep every change, under its key, in order.
@Suite("Delta tables")
struct DeltaTableTests {
    /// What a dictionary of arrays (the first design) holds for the same additions.
    static func expected(_ additions: [(UInt32, Int)]) -> [UInt32: [Int]] {
        var groups: [UInt32: [Int]] = [:]
        for (key, change) in additions { groups[key, default: []].append(change) }
        return groups
    }

    static func flatten(_ grouped: DeltaTable<UInt32, Int>.Grouped) -> [UInt32: [Int]] {
        var groups: [UInt32: [Int]] = [:]
        for (index, key) in grouped.keys.enumerated() { groups[key] = Array(grouped.changes(of: index)) }
        return groups
    }

    static func additions(seed: UInt64, count: Int, keys: Int) -> [(UInt32, Int)] {
        var random = SplitMixForTests(seed: seed)
        return (0..<count).map { (UInt32(random.below(keys)), $0) }
    }

    @Test(arguments: [(UInt64(1), 0, 5), (2, 1, 5), (3, 1_000, 7), (4, 5_000, 1_000), (5, 300, 1)])
    func groupingKeepsEveryChangeUnderItsKeyInOrder(seed: UInt64, count: Int, keys: Int) {
        let additions = Self.additions(seed: seed, count: count, keys: keys)
        var table = DeltaTable<UInt32, Int>()
        for (key, change) in additions { table.add(key, change) }
        let grouped = table.grouped()
        #expect(grouped.keys == grouped.keys.sorted())
        #expect(Set(grouped.keys).count == grouped.keys.count)
        #expect(Self.flatten(grouped) == Self.expected(additions))
        table.removeAll()
        #expect(table.grouped().isEmpty)
        // Emptied, the table keeps its size; stale entries must not answer for the keys added next.
        let again = Self.additions(seed: seed &+ 50, count: count / 2, keys: keys + 3)
        for (key, change) in again { table.add(key, change) }
        #expect(Self.flatten(table.grouped()) == Self.expected(again))
    }

    @Test(arguments: [(UInt64(6), 0, 40), (7, 40, 0), (8, 2_000, 1_500), (9, 3, 3)])
    func mergingTwoTablesConcatenatesTheirChangesPerKey(seed: UInt64, firstCount: Int, secondCount: Int) {
        let first = Self.additions(seed: seed, count: firstCount, keys: 50)
        let second = Self.additions(seed: seed &+ 100, count: secondCount, keys: 80).map { ($0.0, $0.1 + 1_000_000) }
        var a = DeltaTable<UInt32, Int>()
        var b = DeltaTable<UInt32, Int>()
        for (key, change) in first { a.add(key, change) }
        for (key, change) in second { b.add(key, change) }
        let merged = DeltaTable<UInt32, Int>.Merged(a.grouped(), b.grouped())
        #expect(merged.keys == merged.keys.sorted())
        #expect(Set(merged.keys).count == merged.keys.count)
        var groups: [UInt32: [Int]] = [:]
        var visited: [UInt32: [Int]] = [:]
        var scratch = [7]
        for (index, key) in merged.keys.enumerated() {
            groups[key] = merged.changes(of: index)
            merged.forEachChange(of: index) { visited[key, default: []].append($0) }
            merged.copyChanges(of: index, into: &scratch)
            #expect(scratch == groups[key])
        }
        #expect(groups == Self.expected(first + second))
        #expect(visited == groups)
    }
}
