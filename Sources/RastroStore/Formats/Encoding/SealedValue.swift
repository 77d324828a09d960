import RastroCore
import RastroPrimitives

/// The envelope of stored values that may be compressed: a format byte, a checksum, then the payload raw or as a
/// zstd frame.
///
/// ```
/// checked: 0x0C  crc32c(payload):u32 BE  payload
/// sealed:  0x30  crc32c(rest):u32 BE  rawLength:varint  zstdFrame      (rest: the bytes after the checksum)
/// schemas 2 and 3, read, never written:
/// raw:     0x00  payload
/// sealed:  0x01  rawLength:varint  zstdFrame
/// ```
/// LMDB checks nothing it reads back, so a damaged page would otherwise decode into plausible wrong answers: every
/// value is checked as it is read, and a damaged one is refused with its database and key. CRC-32C detects every
/// error burst of up to 32 bits, and the format bytes written (0x0C, 0x30, and 0xC0 for tailed trace blocks) differ
/// from one another and from every older format in at least two bits, so a flipped bit anywhere in a value is
/// refused. A sealed value's checksum covers the compressed bytes: damage is found before zstd reads them, and bits
/// zstd would ignore are not let through either. Values that are still changing are written checked (rewriting them
/// costs no compression); once cold they are sealed, which pays when compression saves at least 10 %.
public enum SealedValue {
    static var checked: UInt8 { 0x0C }
    static var sealed: UInt8 { 0x30 }
    static var legacyRaw: UInt8 { 0x00 }
    static var legacySealed: UInt8 { 0x01 }
    /// Bytes before the checksummed part of a value: the format byte and the checksum.
    static var checkedHeader: Int { 5 }

    /// Writes `payload` into `output` (replacing its contents), compressed when `zstd` is given and it pays.
    public static func encode(_ payload: ByteWriter, into output: ByteWriter, zstd: Zstd?) {
        if let zstd, payload.count >= 256 {
            encodeSealed(payload, into: output, zstd: zstd)
            if output.count <= payload.count * 9 / 10 { return }
        }
        output.removeAll()
        output.byte(checked)
        payload.withBytes { payload in
            output.uint32BigEndian(CRC32C.checksum(payload))
            output.append(payload)
        }
    }

    /// Writes `payload` sealed into `output` (replacing its contents), whatever the saving.
    static func encodeSealed(_ payload: ByteWriter, into output: ByteWriter, zstd: Zstd) {
        output.removeAll()
        output.byte(sealed)
        output.uint32BigEndian(0)
        output.varint(payload.count)
        payload.withBytes { _ = zstd.compress($0, appendingTo: output) }
        let checksum = output.withBytes { CRC32C.checksum($0.part(from: checkedHeader)) }
        output.setUInt32BigEndian(checksum, at: 1)
    }

    /// Whether a stored value is compressed.
    public static func isSealed(_ value: ByteView) -> Bool { value.first == sealed || value.first == legacySealed }

    /// Whether a stored value carries a checksum (values written before schema 4 do not); `nil` when the format is
    /// unknown.
    public static func isChecked(_ value: ByteView) -> Bool? {
        switch value.first {
        case checked, sealed: true
        case legacyRaw, legacySealed: false
        default: nil
        }
    }

    /// Calls `body` with the payload of a stored value, once checked, decompressing into `scratch` when sealed.
    public static func withPayload<Result>(
        _ value: ByteView, zstd: Zstd, scratch: inout [UInt8], _ body: (ByteView) throws -> Result
    ) throws -> Result {
        guard let format = value.first else { throw StoreCorruption("empty value") }
        switch format {
        case checked: return try body(try checkedPayload(value))
        case legacyRaw: return try body(value.part(from: 1))
        case sealed, legacySealed:
            var reader = ByteReader(format == sealed ? try checkedPayload(value) : value.part(from: 1))
            let rawLength = try reader.count(maximum: 1 << 30)
            try zstd.decompress(reader.rest, rawLength: rawLength, into: &scratch)
            return try scratch.withByteView { try body($0) }
        default: throw StoreCorruption("unknown value format \(format)")
        }
    }

    /// What follows a checked value's checksum, once the checksum matches.
    static func checkedPayload(_ value: ByteView) throws(StoreCorruption) -> ByteView {
        guard value.count >= checkedHeader else { throw StoreCorruption("a checked value of \(value.count) bytes") }
        let payload = value.part(from: checkedHeader)
        try verify(payload, against: UInt32(bigEndian: value.load(at: 1, as: UInt32.self)))
        return payload
    }

    /// Throws unless `bytes` has the checksum `stored`.
    static func verify(_ bytes: ByteView, against stored: UInt32) throws(StoreCorruption) {
        let actual = CRC32C.checksum(bytes)
        guard actual == stored else {
            throw StoreCorruption(
                "checksum mismatch (stored \(hex(stored)), bytes give \(hex(actual))): the value is damaged")
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
