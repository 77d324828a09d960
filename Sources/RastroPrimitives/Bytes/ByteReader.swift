/// Reads what ``ByteWriter`` wrote, checking every bound: bytes from disk or the network are verified as they are
/// decoded, and a truncated or overlong value is reported as ``CorruptBytes`` instead of being trusted.
public struct ByteReader {
    public let bytes: ByteView
    public var position = 0

    @inlinable
    public init(_ bytes: ByteView) { self.bytes = bytes }

    @inlinable
    public var isAtEnd: Bool { position >= bytes.count }

    @inlinable
    public var remaining: Int { bytes.count - position }

    @inlinable
    public mutating func byte() throws(CorruptBytes) -> UInt8 {
        guard position < bytes.count else { throw CorruptBytes("truncated value at byte \(position)") }
        let value = bytes[position]
        position += 1
        return value
    }

    /// One varint. The one-byte case (most deltas) is small enough to inline into every decoder's loop; longer ones
    /// and every error take the out-of-line path, so that building an error's message does not stop the inlining.
    @inlinable @inline(__always)
    public mutating func varint() throws(CorruptBytes) -> UInt64 {
        if position < bytes.count {
            let first = bytes[position]
            if first < 0x80 {
                position += 1
                return UInt64(first)
            }
        }
        return try longVarint()
    }

    @usableFromInline @inline(never)
    mutating func longVarint() throws(CorruptBytes) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw CorruptBytes("truncated varint at byte \(position)") }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            guard shift < 64 else { throw CorruptBytes("varint longer than 10 bytes at byte \(position)") }
        }
    }

    /// Steps over one varint without assembling it.
    @inlinable
    public mutating func skipVarint() throws(CorruptBytes) {
        let start = position
        while true {
            guard position < bytes.count else { throw CorruptBytes("truncated varint at byte \(start)") }
            let byte = bytes[position]
            position += 1
            if byte < 0x80 { return }
            guard position - start < 10 else { throw CorruptBytes("varint longer than 10 bytes at byte \(start)") }
        }
    }

    @inlinable
    public mutating func varint32() throws(CorruptBytes) -> UInt32 {
        let value = try varint()
        guard value <= UInt64(UInt32.max) else { throw CorruptBytes("value \(value) exceeds 32 bits at byte \(position)") }
        return UInt32(value)
    }

    @inlinable
    public mutating func count(maximum: Int) throws(CorruptBytes) -> Int {
        let value = try varint()
        // A negative bound (a count of a table that is empty) admits nothing.
        guard maximum >= 0, value <= UInt64(maximum) else { throw CorruptBytes("count \(value) exceeds \(maximum) at byte \(position)") }
        return Int(value)
    }

    @inlinable
    public mutating func zigzag() throws(CorruptBytes) -> Int64 {
        let value = try varint()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    @inlinable
    public mutating func slice(_ count: Int) throws(CorruptBytes) -> ByteView {
        guard count >= 0, count <= remaining else { throw CorruptBytes("truncated \(count)-byte field at byte \(position)") }
        let result = bytes.part(position..<position + count)
        position += count
        return result
    }

    /// The bytes not read yet, as a view of their own.
    @inlinable
    public var rest: ByteView { bytes.part(from: position) }

    @inlinable
    public mutating func uint32BigEndian() throws(CorruptBytes) -> UInt32 {
        let raw = try slice(4)
        return UInt32(bigEndian: raw.load(at: 0, as: UInt32.self))
    }
}

/// Bytes that do not decode: a damaged file, a bug, or a peer that does not speak the protocol. Each layer says
/// where (the store names the database and key; the wire protocol the frame).
public struct CorruptBytes: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    @inlinable
    public init(_ message: String) { self.message = message }

    public var description: String { "corrupt data: \(message)" }

    /// The same problem, located.
    public func located(_ place: String, _ key: String) -> CorruptBytes {
        CorruptBytes("\(place)[\(key)]: \(message)")
    }
}
