/// Byte searches a word at a time ("SWAR"), for the CSV tokeniser: the only place that loads bytes from raw memory
/// eight at a time.
///
/// Invariants, asserted in debug builds: searches start inside the buffer and never read past `count`; the word loop
/// runs only while eight bytes remain, and the tail is read byte by byte.
public enum ByteScan {
    /// The position of the first delimiter, LF or CR at or after `start`, or `count`.
    ///
    /// Eight bytes at a time where eight remain: a byte equal to the one sought is a zero byte of `word ^ pattern`,
    /// and `(x − 0x01…01) & ~x & 0x80…80` sets the top bit of the lowest zero byte exactly (bits above it may be
    /// spurious, never bits below). Line ends are found with every byte below 0x20 by one test,
    /// `(x − 0x20…20) & ~x & 0x80…80`, whose lowest set bit is exact in the same way; so the lowest set bit of the two
    /// tests together is the first candidate, and one that is neither a line end nor the delimiter (a tab, another
    /// control byte) is part of the field: the search goes on after it. Fields average ten bytes, so a word at a time
    /// with two tests beats a byte loop with three comparisons per byte.
    @inlinable @inline(__always)
    public static func endOfUnquotedField(_ base: UnsafeRawPointer, _ count: Int, from start: Int, delimiter: UInt8) -> Int {
        assert(start >= 0 && start <= count, "the search starts inside the buffer")
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let delimiters = ones &* UInt64(delimiter)
        let controls = ones &* 0x20
        var position = start
        while position &+ 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            let matches = word ^ delimiters
            let hits = ((matches &- ones) & ~matches & highs) | ((word &- controls) & ~word & highs)
            if hits != 0 {
                let at = position &+ hits.trailingZeroBitCount >> 3
                let byte = base.load(fromByteOffset: at, as: UInt8.self)
                if byte == delimiter || byte == 0x0A || byte == 0x0D { return at }
                position = at &+ 1
                continue
            }
            position &+= 8
        }
        while position < count {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            if byte == delimiter || byte == 0x0A || byte == 0x0D { return position }
            position += 1
        }
        assert(position == count)
        return count
    }
}
