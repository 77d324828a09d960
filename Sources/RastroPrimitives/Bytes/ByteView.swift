#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes that someone else owns and lends for the length of a closure: an LMDB value, a NIO buffer, an array, a
/// string's UTF-8. Parsers, codecs and decoders take a `ByteView`, so the raw pointer behind it stays in this module.
///
/// Invariants:
/// - A view lives no longer than the closure that lent it; the lender keeps the bytes alive and unchanged for that
///   long. Views are made only by the lending functions below (`withByteView`) and at the C and NIO boundaries
///   (``init(borrowing:)``).
/// - Every access is inside `0..<count`: asserted in debug builds; release builds compile to the plain loads that a
///   raw pointer would.
@frozen
public struct ByteView: RandomAccessCollection {
    @usableFromInline let base: UnsafeRawPointer?
    public let count: Int

    /// No bytes.
    @inlinable
    public init() {
        base = nil
        count = 0
    }

    /// A view of bytes lent by C or NIO. The caller guarantees the lender's lifetime (see the type's invariants).
    @inlinable
    public init(borrowing bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress
        count = bytes.count
    }

    @inlinable
    init(base: UnsafeRawPointer?, count: Int) {
        assert(count >= 0 && (base != nil || count == 0), "a view of \(count) bytes has memory behind it")
        self.base = base
        self.count = count
    }

    public typealias Index = Int
    public typealias Indices = Range<Int>
    public typealias SubSequence = Slice<ByteView>

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }
    @inlinable public var isEmpty: Bool { count == 0 }
    @inlinable public var indices: Range<Int> { 0..<count }
    @inlinable public func index(after i: Int) -> Int { i + 1 }
    @inlinable public func index(before i: Int) -> Int { i - 1 }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        @inline(__always) get {
            assert(position >= 0 && position < count, "byte \(position) of a \(count)-byte view")
            return base.unsafelyUnwrapped.load(fromByteOffset: position, as: UInt8.self)
        }
    }

    /// The bytes in `range`, as a view of their own whose first byte is index 0 (unlike `self[range]`, a slice
    /// that keeps this view's indices).
    @inlinable
    public func part(_ range: Range<Int>) -> ByteView {
        assert(range.lowerBound >= 0 && range.upperBound <= count, "bytes \(range) of a \(count)-byte view")
        return ByteView(base: range.isEmpty ? base : base.unsafelyUnwrapped + range.lowerBound, count: range.count)
    }

    /// The bytes from `start` to the end, as a view of their own.
    @inlinable
    public func part(from start: Int) -> ByteView { part(start..<count) }

    /// `count` bytes from `start`, as a view of their own.
    @inlinable
    public func part(from start: Int, count length: Int) -> ByteView { part(start..<start + length) }

    /// The first `length` bytes, as a view of their own.
    @inlinable
    public func prefix(upTo length: Int) -> ByteView { part(0..<length) }

    /// A fixed-width integer stored at `offset` in the machine's byte order, at any alignment.
    @inlinable @inline(__always)
    public func load<Value: FixedWidthInteger>(at offset: Int, as type: Value.Type) -> Value {
        assert(offset >= 0 && offset + MemoryLayout<Value>.size <= count, "\(Value.self) at \(offset) of \(count) bytes")
        return base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: Value.self)
    }

    /// Up to 7 bytes from `offset` as the low bytes of a word, the rest zero (as a little-endian load would give).
    @inlinable @inline(__always)
    public func partialWord(at offset: Int, count length: Int) -> UInt64 {
        assert(length >= 0 && length < 8 && offset >= 0 && offset + length <= count, "\(length) bytes at \(offset) of \(count)")
        guard length > 0 else { return 0 }
        return InlineBytes.partialWord(base.unsafelyUnwrapped + offset, count: length)
    }

    /// Whether both views hold the same bytes, compared eight at a time: the views compared are identifiers of a
    /// few dozen bytes, for which a call to `memcmp` costs more than the comparison.
    @inlinable @inline(__always)
    public func equals(_ other: ByteView) -> Bool {
        guard count == other.count else { return false }
        var offset = 0
        while offset + 8 <= count {
            if load(at: offset, as: UInt64.self) != other.load(at: offset, as: UInt64.self) { return false }
            offset += 8
        }
        let rest = count - offset
        return rest == 0 || partialWord(at: offset, count: rest) == other.partialWord(at: offset, count: rest)
    }

    /// Negative, zero or positive as these bytes sort before, equal to or after `other`: `memcmp` order, then the
    /// shorter first (LMDB's default key order).
    @inlinable
    public func compare(_ other: ByteView) -> Int {
        let common = Swift.min(count, other.count)
        if common > 0 {
            let result = memcmp(base.unsafelyUnwrapped, other.base.unsafelyUnwrapped, common)
            if result != 0 { return Int(result) }
        }
        return count - other.count
    }

    /// The first position in `start..<end` holding `target`, or nil.
    @inlinable
    public func firstIndex(of target: UInt8, from start: Int, to end: Int) -> Int? {
        assert(start >= 0 && start <= end && end <= count, "search \(start)..<\(end) of a \(count)-byte view")
        guard start < end else { return nil }
        guard let found = memchr(base.unsafelyUnwrapped + start, Int32(target), end - start) else { return nil }
        return UnsafeRawPointer(found) - base.unsafelyUnwrapped
    }

    /// The position of the first delimiter, LF or CR at or after `start`, or `count` (see ``ByteScan``).
    @inlinable @inline(__always)
    public func endOfUnquotedField(from start: Int, delimiter: UInt8) -> Int {
        guard let base else { return 0 }
        return ByteScan.endOfUnquotedField(base, count, from: start, delimiter: delimiter)
    }

    /// Feeds the bytes to `hasher`, as `Hasher.combine(bytes:)` does.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes: UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The bytes as a new array.
    @inlinable
    public var array: [UInt8] { Array(self) }

    /// The bytes as UTF-8 text (ill-formed sequences become U+FFFD).
    @inlinable
    public var string: String { String(decoding: self, as: UTF8.self) }

    @inlinable
    public func withContiguousStorageIfAvailable<Result>(
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) rethrows -> Result? {
        try body(UnsafeBufferPointer(start: base?.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// The raw bytes, for a C call or a NIO write: the boundary code that needs a pointer.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// Bytes that someone else owns and lends for writing, for the length of a closure; the same invariants as
/// ``ByteView``, with every write inside `0..<count`.
@frozen
public struct MutableByteView {
    @usableFromInline let base: UnsafeMutableRawPointer?
    public let count: Int

    @inlinable
    init(base: UnsafeMutableRawPointer?, count: Int) {
        assert(count >= 0 && (base != nil || count == 0), "a view of \(count) bytes has memory behind it")
        self.base = base
        self.count = count
    }

    /// A view of writable bytes lent by C or NIO. The caller guarantees the lender's lifetime.
    @inlinable
    public init(borrowing bytes: UnsafeMutableRawBufferPointer) { self.init(base: bytes.baseAddress, count: bytes.count) }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        @inline(__always) get {
            assert(position >= 0 && position < count, "byte \(position) of a \(count)-byte view")
            return base.unsafelyUnwrapped.load(fromByteOffset: position, as: UInt8.self)
        }
        @inline(__always) nonmutating set {
            assert(position >= 0 && position < count, "byte \(position) of a \(count)-byte view")
            base.unsafelyUnwrapped.storeBytes(of: newValue, toByteOffset: position, as: UInt8.self)
        }
    }

    /// Copies `source` to `offset`.
    @inlinable @inline(__always)
    public func copy(_ source: ByteView, to offset: Int) {
        assert(offset >= 0 && offset + source.count <= count, "\(source.count) bytes at \(offset) of \(count)")
        guard source.count > 0 else { return }
        (base.unsafelyUnwrapped + offset).copyMemory(from: source.base.unsafelyUnwrapped, byteCount: source.count)
    }

    /// Copies `length` bytes from `from` to `to` inside this view (the ranges may overlap).
    @inlinable
    public func move(from: Int, to: Int, count length: Int) {
        assert(from >= 0 && to >= 0 && from + length <= count && to + length <= count, "move of \(length) bytes")
        guard length > 0 else { return }
        (base.unsafelyUnwrapped + to).copyMemory(from: base.unsafelyUnwrapped + from, byteCount: length)
    }

    /// The bytes in `range`, read-only, as a view of their own.
    @inlinable
    public func view(_ range: Range<Int>) -> ByteView {
        assert(range.lowerBound >= 0 && range.upperBound <= count, "bytes \(range) of a \(count)-byte view")
        return ByteView(base: range.isEmpty ? base.map(UnsafeRawPointer.init) : UnsafeRawPointer(base.unsafelyUnwrapped + range.lowerBound), count: range.count)
    }

    /// All the bytes, read-only.
    @inlinable
    public var view: ByteView { view(0..<count) }

    /// The raw bytes, for a C call that fills them (`read(2)`, a decompressor): the boundary code that needs a pointer.
    @inlinable
    public func withUnsafeMutableBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }
}

extension Array where Element == UInt8 {
    /// Appends the view's bytes with one copy.
    @inlinable
    public mutating func append(_ view: ByteView) {
        view.withUnsafeBytes { append(contentsOf: $0) }
    }

    /// Lends the array's bytes for writing for the length of `body`.
    @inlinable
    public mutating func withMutableByteView<Result>(_ body: (MutableByteView) throws -> Result) rethrows -> Result {
        try withUnsafeMutableBytes { try body(MutableByteView(borrowing: $0)) }
    }

    /// Lends the array's bytes as a view for the length of `body`.
    @inlinable
    public func withByteView<Result, Failure: Error>(_ body: (ByteView) throws(Failure) -> Result) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = withUnsafeBytes { raw in
            do throws(Failure) { return .success(try body(ByteView(borrowing: raw))) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

extension ArraySlice where Element == UInt8 {
    /// Lends the slice's bytes as a view for the length of `body`; the view's index 0 is the slice's first byte.
    @inlinable
    public func withByteView<Result, Failure: Error>(_ body: (ByteView) throws(Failure) -> Result) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = withUnsafeBytes { raw in
            do throws(Failure) { return .success(try body(ByteView(borrowing: raw))) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

extension String {
    /// Lends the string's UTF-8 as a view for the length of `body` (a native copy is made first if needed).
    @inlinable
    public func withByteView<Result, Failure: Error>(_ body: (ByteView) throws(Failure) -> Result) throws(Failure) -> Result {
        var text = self
        let result: Swift.Result<Result, Failure> = text.withUTF8 { utf8 in
            do throws(Failure) {
                return .success(try body(ByteView(borrowing: UnsafeRawBufferPointer(utf8))))
            } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// Lends the bytes of a value of trivial type for writing, for the length of `body`.
@inlinable
public func withMutableByteView<Value: BitwiseCopyable, Result>(
    of value: inout Value, _ body: (MutableByteView) throws -> Result
) rethrows -> Result {
    try Swift.withUnsafeMutableBytes(of: &value) { try body(MutableByteView(borrowing: $0)) }
}

/// Lends the bytes of a value of trivial type as a view for the length of `body`.
@inlinable
public func withByteView<Value: BitwiseCopyable, Result>(of value: Value, _ body: (ByteView) throws -> Result) rethrows -> Result {
    try Swift.withUnsafeBytes(of: value) { try body(ByteView(borrowing: $0)) }
}
