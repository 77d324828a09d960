import RastroCore

/// A database key of up to 48 bytes, built on the stack from big-endian integers and identifier bytes.
///
/// Fixed-width big-endian integers make byte order equal to numeric order, so LMDB's default comparison sorts keys
/// the way ranges are scanned: by day, by block, by device.
public struct Key: Sendable, Hashable, Comparable {
    public static let capacity = 48
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    @usableFromInline var length: UInt8 = 0

    @inlinable
    public init() {}

    /// Bytes from a buffer (at most 48).
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        append(bytes)
    }

    @inlinable
    public var count: Int { Int(length) }

    @inlinable
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(Int(length) + bytes.count <= Self.capacity, "key longer than \(Self.capacity) bytes")
        let start = Int(length)
        withUnsafeMutableBytes(of: &storage) { raw in
            if bytes.count > 0 { (raw.baseAddress! + start).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        }
        length += UInt8(bytes.count)
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        precondition(Int(length) < Self.capacity, "key longer than \(Self.capacity) bytes")
        let index = Int(length)
        withUnsafeMutableBytes(of: &storage) { $0[index] = byte }
        length += 1
    }

    @inlinable
    public mutating func append(bigEndian value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { append($0) }
    }

    @inlinable
    public mutating func append(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { append($0) }
    }

    @inlinable
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let count = Int(length)
        return try withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Reads a big-endian `UInt32` at `offset`.
    @inlinable
    public func uint32(at offset: Int) -> UInt32 {
        withBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    /// A key made of one big-endian `UInt32`.
    @inlinable
    public static func uint32(_ value: UInt32) -> Key {
        var key = Key()
        key.append(bigEndian: value)
        return key
    }

    public var bytes: [UInt8] { withBytes { Array($0) } }

    public static func < (lhs: Key, rhs: Key) -> Bool {
        lhs.withBytes { left in rhs.withBytes { right in compareBytes(left, right) < 0 } }
    }

    public static func == (lhs: Key, rhs: Key) -> Bool {
        lhs.length == rhs.length && lhs.withBytes { left in rhs.withBytes { right in compareBytes(left, right) == 0 } }
    }

    public func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: $0) }
    }
}
