import RastroCore
import RastroPrimitives

/// Framing of the binary protocol (docs/protocol.md §2):
///
/// ```
/// +----------------+---------+-------------------------+----------------+
/// | length: u32 BE | type:u8 | payload (length − 1)    | crc32c: u32 BE |
/// +----------------+---------+-------------------------+----------------+
/// ```
/// `length` counts the type byte and the payload; the CRC-32C covers the same bytes.
public enum Frame {
    /// Bytes a frame adds around its payload.
    public static var overheadBytes: Int { 9 }

    /// Appends a whole frame to `writer`.
    public static func append(_ type: FrameType, payload: ByteView, to writer: ByteWriter) {
        let length = UInt32(payload.count + 1)
        writer.uint32BigEndian(length)
        let start = writer.count
        writer.byte(type.rawValue)
        writer.append(payload)
        let crc = writer.withBytes { CRC32C.checksum($0.part(from: start)) }
        writer.uint32BigEndian(crc)
    }

    /// A whole frame as bytes.
    public static func encode(_ type: FrameType, payload: [UInt8]) -> [UInt8] {
        let writer = ByteWriter(reservingCapacity: payload.count + overheadBytes)
        payload.withByteView { append(type, payload: $0, to: writer) }
        return writer.bytes
    }

    public enum Parsed: Equatable {
        /// The bytes hold only part of a frame.
        case needMore
        /// A whole frame: its type, where its payload is, and how many bytes it took.
        case frame(type: FrameType, payload: Range<Int>, length: Int)
    }

    /// Parses the frame at the start of `bytes`, checking its length bound and checksum.
    public static func parse(_ bytes: ByteView, maximumBytes: Int) throws(ProtocolError) -> Parsed {
        guard bytes.count >= 4 else { return .needMore }
        let length = Int(UInt32(bigEndian: bytes.load(at: 0, as: UInt32.self)))
        guard length >= 1 else { throw ProtocolError(.malformedFrame, "a frame of length 0") }
        guard length <= maximumBytes else {
            throw ProtocolError(.frameTooLarge, "a frame of \(length) bytes; the limit is \(maximumBytes)")
        }
        let total = 4 + length + 4
        guard bytes.count >= total else { return .needMore }
        let body = bytes.part(4..<(4 + length))
        let expected = UInt32(bigEndian: bytes.load(at: 4 + length, as: UInt32.self))
        let actual = CRC32C.checksum(body)
        guard expected == actual else {
            throw ProtocolError(
                .badChecksum, "frame checksum is \(hex(expected)), the bytes give \(hex(actual))")
        }
        guard let type = FrameType(rawValue: body[0]) else {
            throw ProtocolError(.malformedFrame, "unknown frame type 0x\(String(body[0], radix: 16))")
        }
        return .frame(type: type, payload: 5..<(4 + length), length: total)
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
