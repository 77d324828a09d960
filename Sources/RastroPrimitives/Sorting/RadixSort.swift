/// Invariants, asserted in debug builds: the output ascends; keys promised presorted in their low bits are.
///
/// Sorting of plain 64-bit integers, the writer's packed keys (`item << 32 | index`, duration bins), by least
/// significant digit first.
///
/// The standard library's `sort()` is a comparison merge sort, several times slower on a commit's packed keys.
/// Counting sort by 11-bit digits reads and writes each key once per
/// digit, and a digit that is the same in every key (the high bits of small item ids, say) is skipped, so the writer's
/// keys take three or four passes. Equal integers are indistinguishable, so the result is exactly `sort()`'s.
public enum RadixSort {
    /// Below this many keys the comparison sort is faster than clearing and summing the digit counts.
    @inlinable public static var threshold: Int { 512 }
    static var digitBits: Int { 11 }
    static var digitMask: UInt64 { (1 << UInt64(digitBits)) - 1 }
    static var buckets: Int { 1 << digitBits }

    /// Sorts `keys` in ascending order, using `scratch` (resized as needed, contents unspecified afterwards) so that a
    /// caller that keeps it allocates nothing in steady state.
    ///
    /// With `presortedLowBits` = n, the caller promises that the keys' low n bits already ascend in array order (the
    /// writer's `group << 32 | index` keys, appended by index): the passes are stable, so sorting by the bits above n
    /// alone gives the full order, and the index's two or three passes are skipped.
    public static func sort(_ keys: inout [UInt64], scratch: inout [UInt64], presortedLowBits: Int = 0) {
        precondition(presortedLowBits >= 0 && presortedLowBits < 64)
        assert(lowBitsAscend(keys, presortedLowBits), "keys promised presorted low bits that do not ascend")
        let count = keys.count
        if count < threshold {
            keys.sort()
            return
        }
        if scratch.count < count {
            scratch = [UInt64](repeating: 0, count: count)
        }
        // Bits that differ between keys: a digit with none of them is the same in every key and needs no pass.
        var varying: UInt64 = 0
        let first = keys[0]
        for key in keys { varying |= key ^ first }
        keys.withUnsafeMutableBufferPointer { keyBuffer in
            scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: buckets)
                defer { counts.deallocate() }
                var sortedInKeys = true
                var shift = UInt64(presortedLowBits)
                while shift < 64 {
                    if (varying >> shift) & digitMask != 0 {
                        if sortedInKeys {
                            pass(from: keyBuffer, to: scratchBuffer, count: count, shift: shift, counts: counts)
                        } else {
                            pass(from: scratchBuffer, to: keyBuffer, count: count, shift: shift, counts: counts)
                        }
                        sortedInKeys.toggle()
                    }
                    shift += UInt64(digitBits)
                }
                if !sortedInKeys {
                    _ = keyBuffer.update(fromContentsOf: scratchBuffer[0..<count])
                }
            }
        }
        assert(isAscending(keys), "RadixSort left keys out of order (or the presorted low bits were not ascending)")
    }

    /// Whether the keys' low `bits` bits ascend in array order (the promise of `presortedLowBits`).
    static func lowBitsAscend(_ keys: [UInt64], _ bits: Int) -> Bool {
        guard bits > 0 else { return true }
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        var index = 1
        while index < keys.count {
            if keys[index - 1] & mask > keys[index] & mask { return false }
            index += 1
        }
        return true
    }

    /// Whether every key is at most the next (checked after every sort in debug builds).
    static func isAscending(_ keys: [UInt64]) -> Bool {
        var index = 1
        while index < keys.count {
            if keys[index - 1] > keys[index] { return false }
            index += 1
        }
        return true
    }

    /// Sorts `keys` in ascending order with a scratch buffer of its own.
    public static func sort(_ keys: inout [UInt64]) {
        var scratch: [UInt64] = []
        sort(&keys, scratch: &scratch)
    }

    /// One stable counting pass on the digit at `shift`.
    @inline(__always)
    static func pass(
        from source: UnsafeMutableBufferPointer<UInt64>, to target: UnsafeMutableBufferPointer<UInt64>, count: Int,
        shift: UInt64, counts: UnsafeMutableBufferPointer<Int>
    ) {
        let mask = digitMask
        for index in 0..<counts.count { counts[index] = 0 }
        for index in 0..<count { counts[Int(truncatingIfNeeded: (source[index] >> shift) & mask)] += 1 }
        var total = 0
        for index in 0..<counts.count {
            let bucket = counts[index]
            counts[index] = total
            total += bucket
        }
        for index in 0..<count {
            let key = source[index]
            let digit = Int(truncatingIfNeeded: (key >> shift) & mask)
            target[counts[digit]] = key
            counts[digit] += 1
        }
    }
}
