import RastroCore
import RastroPrimitives

/// The envelope of values that may be stored compressed: a format byte, then the payload raw or as a zstd frame.
///
/// ```
/// raw:    0x00  payload
/// sealed: 0x01  rawLength:varint  zstdFrame
/// ```
/// Values that are still changing are written raw (rewriting them costs no compression); once cold they are sealed,
/// which pays when compression saves at least 10 %.
public enum SealedValue {
    static var raw: UInt8 { 0 }
    static var sealed: UInt8 { 1 }

    /// Writes `payload` into `output` (replacing its contents), compressed when `zstd` is given and it pays.
    public static func encode(_ payload: ByteWriter, into output: ByteWriter, zstd: Zstd?) {
        output.removeAll()
        if let zstd, payload.count >= 256 {
            output.byte(sealed)
            output.varint(payload.count)
            payload.withBytes { _ = zstd.compress($0, appendingTo: output) }
            if output.count <= payload.count * 9 / 10 { return }
            output.removeAll()
        }
        output.byte(raw)
        payload.withBytes { output.append($0) }
    }

    /// Whether a stored value is compressed.
    public static func isSealed(_ value: ByteView) -> Bool { value.first == sealed }

    /// Calls `body` with the payload of a stored value, decompressing into `scratch` when sealed.
    public static func withPayload<Result>(
        _ value: ByteView, zstd: Zstd, scratch: inout [UInt8], _ body: (ByteView) throws -> Result
    ) throws -> Result {
        guard let format = value.first else { throw StoreCorruption("empty value") }
        if format == raw { return try body(value.part(from: 1)) }
        guard format == sealed else { throw StoreCorruption("unknown value format \(format)") }
        var reader = ByteReader(value.part(from: 1))
        let rawLength = try reader.count(maximum: 1 << 30)
        try zstd.decompress(reader.rest, rawLength: rawLength, into: &scratch)
        return try scratch.withByteView { try body($0) }
    }
}
