/// Reads what ``ByteWriter`` wrote, checking every bound: stored bytes are verified as they are decoded, and a
/// truncated or overlong value is reported as ``StoreCorruption`` instead of being trusted.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public var position = 0

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable
    public var isAtEnd: Bool { position >= bytes.count }

    @inlinable
    public var remaining: Int { bytes.count - position }

    @inlinable
    public mutating func byte() throws(StoreCorruption) -> UInt8 {
        guard position < bytes.count else { throw StoreCorruption("truncated value at byte \(position)") }
        let value = bytes[position]
        position += 1
        return value
    }

    @inlinable
    public mutating func varint() throws(StoreCorruption) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw StoreCorruption("truncated varint at byte \(position)") }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            guard shift < 64 else { throw StoreCorruption("varint longer than 10 bytes at byte \(position)") }
        }
    }

    @inlinable
    public mutating func varint32() throws(StoreCorruption) -> UInt32 {
        let value = try varint()
        guard value <= UInt64(UInt32.max) else { throw StoreCorruption("value \(value) exceeds 32 bits at byte \(position)") }
        return UInt32(value)
    }

    @inlinable
    public mutating func count(maximum: Int) throws(StoreCorruption) -> Int {
        let value = try varint()
        guard value <= UInt64(maximum) else { throw StoreCorruption("count \(value) exceeds \(maximum) at byte \(position)") }
        return Int(value)
    }

    @inlinable
    public mutating func zigzag() throws(StoreCorruption) -> Int64 {
        let value = try varint()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    @inlinable
    public mutating func slice(_ count: Int) throws(StoreCorruption) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw StoreCorruption("truncated \(count)-byte field at byte \(position)") }
        let result = UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
        position += count
        return result
    }

    @inlinable
    public mutating func uint32BigEndian() throws(StoreCorruption) -> UInt32 {
        let raw = try slice(4)
        return UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))
    }
}

/// Stored bytes that do not decode: a bug or a damaged file. Reported with the database and key when known.
public struct StoreCorruption: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    @inlinable
    public init(_ message: String) { self.message = message }

    public var description: String { "corrupt store: \(message)" }

    /// The same problem, located.
    public func located(_ database: String, _ key: String) -> StoreCorruption {
        StoreCorruption("\(database)[\(key)]: \(message)")
    }
}
