import RastroCore
import RastroPrimitives

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
    public init(_ bytes: ByteView) {
        append(bytes)
    }

    @inlinable
    public var count: Int { Int(length) }

    @inlinable
    public mutating func append(_ bytes: ByteView) {
        precondition(Int(length) + bytes.count <= Self.capacity, "key longer than \(Self.capacity) bytes")
        let start = Int(length)
        withMutableByteView(of: &storage) { $0.copy(bytes, to: start) }
        length += UInt8(bytes.count)
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        precondition(Int(length) < Self.capacity, "key longer than \(Self.capacity) bytes")
        let index = Int(length)
        withMutableByteView(of: &storage) { $0[index] = byte }
        length += 1
    }

    @inlinable
    public mutating func append(bigEndian value: UInt32) {
        withByteView(of: value.bigEndian) { append($0) }
    }

    @inlinable
    public mutating func append(bigEndian value: UInt64) {
        withByteView(of: value.bigEndian) { append($0) }
    }

    @inlinable
    public func withBytes<Result>(_ body: (ByteView) throws -> Result) rethrows -> Result {
        let count = Int(length)
        return try withByteView(of: storage) { try body($0.prefix(upTo: count)) }
    }

    /// Reads a big-endian `UInt32` at `offset`.
    @inlinable
    public func uint32(at offset: Int) -> UInt32 {
        withBytes { UInt32(bigEndian: $0.load(at: offset, as: UInt32.self)) }
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
        lhs.withBytes { left in rhs.withBytes { right in left.compare(right) < 0 } }
    }

    public static func == (lhs: Key, rhs: Key) -> Bool {
        lhs.length == rhs.length && lhs.withBytes { left in rhs.withBytes { right in left.compare(right) == 0 } }
    }

    public func hash(into hasher: inout Hasher) {
        withBytes { $0.hash(into: &hasher) }
    }
}
