/// A growable scratch buffer that appends the primitives of Rastro's storage and wire formats: bytes, LEB128 varints
/// and zigzag varints.
///
/// A class on purpose: one writer is a reusable scratch buffer owned by one encoder, passed by reference and never
/// copied, and its appends are unchecked pointer stores after a single capacity check — `[UInt8].append` costs a
/// uniqueness check per byte.
public final class ByteWriter {
    @usableFromInline var storage: UnsafeMutableRawPointer
    @usableFromInline var capacity: Int
    @usableFromInline var length = 0
    public var count: Int { length }

    public init(reservingCapacity capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        storage = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    @inlinable
    public func removeAll() { length = 0 }

    /// Makes room for `additional` more bytes.
    @inlinable @inline(__always)
    func reserve(_ additional: Int) {
        if length + additional > capacity { grow(length + additional) }
    }

    @usableFromInline
    func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newStorage.copyMemory(from: storage, byteCount: length)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    @inlinable
    public func byte(_ value: UInt8) {
        reserve(1)
        storage.storeBytes(of: value, toByteOffset: length, as: UInt8.self)
        length += 1
    }

    @inlinable
    public func append(_ source: ByteView) {
        guard source.count > 0 else { return }
        reserve(source.count)
        source.withUnsafeBytes { (storage + length).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        length += source.count
    }

    @inlinable
    public func append(_ source: [UInt8]) {
        source.withByteView { append($0) }
    }

    /// LEB128: seven bits per byte, least significant first, high bit set on every byte but the last.
    @inlinable
    public func varint(_ value: UInt64) {
        reserve(10)
        var remaining = value
        var position = length
        while remaining >= 0x80 {
            storage.storeBytes(of: UInt8(truncatingIfNeeded: remaining) | 0x80, toByteOffset: position, as: UInt8.self)
            remaining >>= 7
            position += 1
        }
        storage.storeBytes(of: UInt8(remaining), toByteOffset: position, as: UInt8.self)
        length = position + 1
    }

    @inlinable
    public func varint(_ value: UInt32) { varint(UInt64(value)) }

    @inlinable
    public func varint(_ value: Int) {
        precondition(value >= 0, "negative varint")
        varint(UInt64(value))
    }

    /// Zigzag then LEB128: small magnitudes of either sign take few bytes.
    @inlinable
    public func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inlinable
    public func uint32BigEndian(_ value: UInt32) {
        reserve(4)
        storage.storeBytes(of: value.bigEndian, toByteOffset: length, as: UInt32.self)
        length += 4
    }

    /// Overwrites 4 bytes already written at `offset`: a field (a checksum, a length) reserved before what it
    /// describes was written.
    @inlinable
    public func setUInt32BigEndian(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= length, "4 bytes at \(offset) of \(length)")
        storage.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Reserves `maximumBytes` and lets `body` append through a local ``ByteAppender``: the fast path for encoders,
    /// with no property access per byte.
    @inlinable
    public func withAppender<Result>(maximumBytes: Int, _ body: (inout ByteAppender) throws -> Result) rethrows -> Result {
        reserve(maximumBytes)
        var appender = ByteAppender(base: storage + length, limit: maximumBytes)
        defer { length += appender.count }
        return try body(&appender)
    }

    /// Lets `body` write up to `maximum` bytes at the end and keeps the number it reports.
    @inlinable
    public func append(upTo maximum: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        reserve(maximum)
        let written = body(storage + length)
        precondition(written >= 0 && written <= maximum)
        length += written
    }

    /// Drops everything after the first `length` bytes.
    @inlinable
    public func truncate(to length: Int) {
        precondition(length <= self.length)
        self.length = length
    }

    /// The bytes written so far, valid until the next write.
    @inlinable
    public func withBytes<Result>(_ body: (ByteView) throws -> Result) rethrows -> Result {
        try body(ByteView(base: storage, count: length))
    }

    /// A copy of the bytes written so far.
    public var bytes: [UInt8] { withBytes { Array($0) } }
}

/// The number of bytes `varint` writes for a value.
@inlinable
public func varintLength(_ value: UInt64) -> Int {
    value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
}

/// Appends into memory a ``ByteWriter`` reserved: a local value, so writes cost a bounds check and a store.
public struct ByteAppender {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let limit: Int
    @usableFromInline var written = 0
    public var count: Int { written }

    @inlinable
    init(base: UnsafeMutableRawPointer, limit: Int) {
        self.base = base
        self.limit = limit
    }

    @inlinable @inline(__always)
    public mutating func byte(_ value: UInt8) {
        precondition(written < limit, "encoder wrote past its reserved bound")
        base.storeBytes(of: value, toByteOffset: written, as: UInt8.self)
        written += 1
    }

    @inlinable @inline(__always)
    public mutating func varint(_ value: UInt64) {
        precondition(written + 10 <= limit, "encoder wrote past its reserved bound")
        var remaining = value
        var position = written
        while remaining >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: remaining) | 0x80, toByteOffset: position, as: UInt8.self)
            remaining >>= 7
            position += 1
        }
        base.storeBytes(of: UInt8(remaining), toByteOffset: position, as: UInt8.self)
        written = position + 1
    }

    @inlinable @inline(__always)
    public mutating func varint(_ value: UInt32) { varint(UInt64(value)) }

    @inlinable @inline(__always)
    public mutating func varint(_ value: Int) { varint(UInt64(value)) }

    @inlinable @inline(__always)
    public mutating func zigzag(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    @inlinable
    public mutating func append(_ source: ByteView) {
        guard source.count > 0 else { return }
        precondition(written + source.count <= limit, "encoder wrote past its reserved bound")
        source.withUnsafeBytes { (base + written).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        written += source.count
    }
}
