import RastroPrimitives

/// A set of item ids below a capacity, as a bitset: ids are dense from 0, so two million items cost 256 KB and a
/// lookup one load.
struct ItemSet {
    private var words: [UInt64]
    let capacity: UInt32

    init(capacity: UInt32) {
        self.capacity = capacity
        words = [UInt64](repeating: 0, count: Int(capacity >> 6) + 1)
    }

    /// Inserts `item` (below `capacity`).
    mutating func insert(_ item: UInt32) {
        precondition(item < capacity, "item \(item) beyond the set's capacity \(capacity)")
        words[Int(item >> 6)] |= 1 << UInt64(item & 63)
    }

    mutating func remove(_ item: UInt32) {
        guard item < capacity else { return }
        words[Int(item >> 6)] &= ~(1 << UInt64(item & 63))
    }

    /// The words themselves, for loops that insert millions of ids (item `i` is bit `i & 63` of word `i >> 6`).
    mutating func withWords<Result>(_ body: (MutableArrayView<UInt64>) throws -> Result) throws -> Result {
        try words.withMutableArrayView { words throws in try body(words) }
    }

    /// Calls `body` with each member, ascending.
    func forEach(_ body: (UInt32) -> Void) {
        for (index, word) in words.enumerated() where word != 0 {
            var rest = word
            while rest != 0 {
                body(UInt32(index << 6 | rest.trailingZeroBitCount))
                rest &= rest - 1
            }
        }
    }
}
