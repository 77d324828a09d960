import RastroPrimitives

/// An order-free summary of a multiset of facts: how many, and the wrapping sum of their hashes.
///
/// `rastro verify` derives every index's facts from the traces one item at a time, while the stored index holds them
/// grouped by day or centre: comparing fingerprints per stored key needs no sort and no copy of the facts, and any
/// added, missing or changed fact changes the sum unless hashes collide (about 2⁻⁶⁴ per difference).
struct Fingerprint: Equatable {
    var count: Int64 = 0
    var sum: UInt64 = 0

    @inline(__always)
    mutating func add(_ hash: UInt64, times: Int64 = 1) {
        count &+= times
        sum &+= hash &* UInt64(bitPattern: times)
    }

    /// The hash of a fact made of up to four numbers.
    @inline(__always)
    static func hash(_ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0) -> UInt64 {
        FastHash.combine(FastHash.combine(FastHash.combine(FastHash.mix(a), b), c), d)
    }
}

/// Fingerprints per stored key, with the keys in the order the database holds them.
struct FingerprintTable<Key: Hashable & Comparable> {
    private(set) var table: [Key: Fingerprint] = [:]

    @inline(__always)
    mutating func add(_ key: Key, _ hash: UInt64, times: Int64 = 1) {
        table[key, default: Fingerprint()].add(hash, times: times)
    }

    /// Removes and returns the fingerprint of `key` (an empty one when none).
    mutating func take(_ key: Key) -> Fingerprint {
        table.removeValue(forKey: key) ?? Fingerprint()
    }

    /// The keys not taken, sorted.
    var remainingKeys: [Key] { table.keys.sorted() }

    func fingerprint(_ key: Key) -> Fingerprint { table[key] ?? Fingerprint() }
}
