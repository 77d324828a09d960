
/// Up to 40 bytes held inline: a hashable, allocation-free key for identifiers.
///
/// Identifiers are at most 40 bytes (``Limits/trackingIDBytes``), so caches keyed by them need no heap storage per
/// key: five machine words and a length.
public struct InlineBytes: Hashable, Sendable, Comparable, CustomStringConvertible {
    @inlinable public static var capacity: Int { 40 }
    @usableFromInline var w0: UInt64 = 0
    @usableFromInline var w1: UInt64 = 0
    @usableFromInline var w2: UInt64 = 0
    @usableFromInline var w3: UInt64 = 0
    @usableFromInline var w4: UInt64 = 0
    @usableFromInline var storedCount: UInt8 = 0
    public var count: UInt8 { storedCount }

    /// Copies `bytes` (at most 40; longer input is a programmer error, validation happens before).
    @inlinable
    public init(_ bytes: ByteView) {
        precondition(bytes.count <= Self.capacity, "identifier longer than \(Self.capacity) bytes")
        self.init(words: Self.words(of: bytes), count: UInt8(bytes.count))
    }

    /// Whether `bytes` are these bytes, without copying them first.
    @inlinable
    public func equals(_ bytes: ByteView) -> Bool {
        guard bytes.count == Int(storedCount) else { return false }
        let other = Self.words(of: bytes)
        return (other.0 ^ w0) | (other.1 ^ w1) | (other.2 ^ w2) | (other.3 ^ w3) | (other.4 ^ w4) == 0
    }

    /// Up to 40 bytes as five words, unused bytes zero.
    ///
    /// Word-sized loads, written without a loop: `copyMemory` is a call to `memmove`, which for these 10–40 byte
    /// identifiers costs more than the copy, and LLVM turns a copying loop back into that call. Identifiers are copied several times per scan.
    @inlinable @inline(__always)
    public static func words(of bytes: ByteView) -> (UInt64, UInt64, UInt64, UInt64, UInt64) {
        let count = bytes.count
        guard let base = bytes.base, count > 0 else { return (0, 0, 0, 0, 0) }
        let full = count >> 3
        let tail = partialWord(base + (full << 3), count: count & 7)
        @inline(__always) func word(_ index: Int) -> UInt64 {
            index < full ? base.loadUnaligned(fromByteOffset: index << 3, as: UInt64.self) : index == full ? tail : 0
        }
        return (word(0), word(1), word(2), word(3), word(4))
    }

    /// Up to 7 bytes as the low bytes of a word, the rest zero, laid out as a load from memory would be on the
    /// little-endian machines Rastro builds for.
    @inlinable @inline(__always)
    public static func partialWord(_ start: UnsafeRawPointer, count: Int) -> UInt64 {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        var offset = 0
        if count & 4 != 0 {
            word = UInt64(start.loadUnaligned(as: UInt32.self).littleEndian)
            shift = 32
            offset = 4
        }
        if count & 2 != 0 {
            word |= UInt64(start.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian) << shift
            shift += 16
            offset += 2
        }
        if count & 1 != 0 {
            word |= UInt64(start.load(fromByteOffset: offset, as: UInt8.self)) << shift
        }
        return word
    }

    @inlinable
    public init(words: (UInt64, UInt64, UInt64, UInt64, UInt64), count: UInt8) {
        (w0, w1, w2, w3, w4) = words
        storedCount = count
    }

    @inlinable
    public var words: (UInt64, UInt64, UInt64, UInt64, UInt64) { (w0, w1, w2, w3, w4) }

    /// Copies a string's UTF-8 (identifiers are ASCII).
    public init(_ text: String) {
        self = text.withByteView { InlineBytes($0) }
    }

    /// The same bytes with ASCII letters folded to lower case, for case-insensitive catalogs.
    public var lowercased: InlineBytes {
        // Eight bytes at a time (``ByteLanes``): `A`–`Z` gain 0x20; bytes at or above 0x80 are left alone, unused
        // bytes are zero and stay so. Catalog lookups fold every scan's event code.
        @inline(__always) func fold(_ word: UInt64) -> UInt64 {
            let ascii = word & ~ByteLanes.highs
            let upper = ByteLanes.atLeast(ascii, 0x41) & ByteLanes.atMost(ascii, 0x5A) & ~ByteLanes.nonASCII(word)
            return word | upper >> 2
        }
        return InlineBytes(words: (fold(w0), fold(w1), fold(w2), fold(w3), fold(w4)), count: storedCount)
    }

    /// Calls `body` with the bytes.
    @inlinable
    public func withBytes<Result, Failure: Error>(_ body: (ByteView) throws(Failure) -> Result) throws(Failure) -> Result {
        var words = self.words
        let count = Int(storedCount)
        return try Swift.withUnsafeMutableBytes(of: &words) { storage throws(Failure) in
            try body(ByteView(base: storage.baseAddress, count: count))
        }
    }

    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }
    public var description: String { string }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        // Unused bytes are zero, so hashing whole words is exact and cheaper than a byte loop.
        hasher.combine(w0)
        if count > 8 { hasher.combine(w1) }
        if count > 16 { hasher.combine(w2) }
        if count > 24 { hasher.combine(w3) }
        if count > 32 { hasher.combine(w4) }
        hasher.combine(count)
    }

    /// ``FastHash`` over the used words, starting from `seed`.
    @inlinable
    func fastHash(seed: UInt64) -> UInt64 {
        var hash = FastHash.mix(seed ^ w0 ^ UInt64(storedCount) << 56)
        if storedCount > 8 { hash = FastHash.combine(hash, w1) }
        if storedCount > 16 { hash = FastHash.combine(hash, w2) }
        if storedCount > 24 { hash = FastHash.combine(hash, w3) }
        if storedCount > 32 { hash = FastHash.combine(hash, w4) }
        return hash
    }

    /// Byte order, compared a word at a time: words are loaded little-endian, so byte-swapped they compare like
    /// the bytes they hold. Unused bytes are zero and identifiers never contain NUL, so a proper prefix sorts first.
    @inlinable
    public static func < (lhs: InlineBytes, rhs: InlineBytes) -> Bool {
        if lhs.w0 != rhs.w0 { return lhs.w0.byteSwapped < rhs.w0.byteSwapped }
        if lhs.w1 != rhs.w1 { return lhs.w1.byteSwapped < rhs.w1.byteSwapped }
        if lhs.w2 != rhs.w2 { return lhs.w2.byteSwapped < rhs.w2.byteSwapped }
        if lhs.w3 != rhs.w3 { return lhs.w3.byteSwapped < rhs.w3.byteSwapped }
        if lhs.w4 != rhs.w4 { return lhs.w4.byteSwapped < rhs.w4.byteSwapped }
        return lhs.storedCount < rhs.storedCount
    }
}

extension InlineBytes: FastHashable {
    @inlinable public var fastHash: UInt64 { fastHash(seed: 0) }
}

extension InlineBytes {
    /// The 64-bit hash of a tracking id that the store's writer keys its item cache on (never 0: 0 marks an empty
    /// slot). Computed where scans are validated (``ScanValidator/hashesTrackingIDs``), on the threads that parse
    /// them, while the bytes are in cache: the writer then reads it instead of hashing every scan itself.
    @inlinable
    public var trackingHash: UInt64 {
        let value = fastHash(seed: 0x5EED)
        return value == 0 ? 1 : value
    }
}

extension InlineBytes {
    /// The first sixteen bytes as two big-endian integers: comparing them, then ``count``, orders identifiers of up
    /// to sixteen bytes as `<` does (identifiers hold no zero bytes, so a shorter one is a prefix of a longer one).
    /// Sorting by these small integers moves less and compares faster than sorting the 48-byte values.
    @inlinable
    public var sortPrefix: (high: UInt64, low: UInt64) { (w0.byteSwapped, w1.byteSwapped) }
}
