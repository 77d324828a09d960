import RastroCore
import RastroPrimitives
internal import CZstd

/// zstd compression with reused contexts (`ZSTD_createCCtx`, `ZSTD_compressCCtx`, `ZSTD_decompressDCtx`).
///
/// Not thread-safe: each thread that compresses owns its own `Zstd`.
public final class Zstd: @unchecked Sendable {
    // @unchecked Sendable: a context is used by one thread at a time, its owner's (the writer, the helper's index
    // participant, or a reader that took it from the pool), and changes hands only through a lock.
    private let compressionContext: OpaquePointer
    private let decompressionContext: OpaquePointer
    public let level: Int32

    public init(level: Int32 = 3) {
        compressionContext = ZSTD_createCCtx()
        decompressionContext = ZSTD_createDCtx()
        self.level = level
    }

    deinit {
        ZSTD_freeCCtx(compressionContext)
        ZSTD_freeDCtx(decompressionContext)
    }

    /// Appends the compressed frame of `source` to `output` and returns its length.
    ///
    /// With a `dictionary` (raw content: an earlier version of the same bytes), the frame refers to it, and
    /// decompressing it needs the same dictionary: a delta. A raw-content dictionary must not begin with zstd's
    /// dictionary magic number, or zstd would parse it as a trained dictionary.
    @discardableResult
    public func compress(_ source: ByteView, dictionary: ByteView? = nil, appendingTo output: ByteWriter) -> Int {
        let bound = ZSTD_compressBound(source.count)
        var frameLength = 0
        if let dictionary { precondition(!Self.hasDictionaryMagic(dictionary), "a raw dictionary starting with the magic number") }
        output.append(upTo: bound) { destination in
            let written = source.withUnsafeBytes { bytes in
                guard let dictionary else {
                    return ZSTD_compressCCtx(compressionContext, destination, bound, bytes.baseAddress, bytes.count, level)
                }
                return dictionary.withUnsafeBytes {
                    ZSTD_compress_usingDict(
                        compressionContext, destination, bound, bytes.baseAddress, bytes.count, $0.baseAddress, $0.count, level)
                }
            }
            precondition(ZSTD_isError(written) == 0, "ZSTD_compressCCtx: \(String(cString: ZSTD_getErrorName(written)))")
            frameLength = written
            return written
        }
        return frameLength
    }

    /// Decompresses a frame whose original size is `rawLength` into `output` (replacing its contents).
    public func decompress(
        _ frame: ByteView, rawLength: Int, dictionary: ByteView? = nil, into output: inout [UInt8]
    ) throws(StoreCorruption) {
        // The frame header states its content size (the compressor writes it): a damaged length is refused before
        // its buffer is allocated.
        let declared = frame.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard declared == UInt64(rawLength) else {
            throw StoreCorruption("zstd frame declares \(Int64(bitPattern: declared)) bytes, expected \(rawLength)")
        }
        output.removeAll(keepingCapacity: true)
        output.append(contentsOf: repeatElement(0, count: rawLength))
        if let dictionary, Self.hasDictionaryMagic(dictionary) { throw StoreCorruption("a delta's base starts as a zstd dictionary") }
        let written = output.withUnsafeMutableBytes { buffer in
            frame.withUnsafeBytes { bytes in
                guard let dictionary else {
                    return ZSTD_decompressDCtx(decompressionContext, buffer.baseAddress, rawLength, bytes.baseAddress, bytes.count)
                }
                return dictionary.withUnsafeBytes {
                    ZSTD_decompress_usingDict(
                        decompressionContext, buffer.baseAddress, rawLength, bytes.baseAddress, bytes.count, $0.baseAddress, $0.count)
                }
            }
        }
        if ZSTD_isError(written) != 0 {
            throw StoreCorruption("ZSTD_decompressDCtx: \(String(cString: ZSTD_getErrorName(written)))")
        }
        guard written == rawLength else {
            throw StoreCorruption("zstd frame holds \(written) bytes, expected \(rawLength)")
        }
    }

    /// Whether `bytes` begin with `ZSTD_MAGIC_DICTIONARY` (0xEC30A437, little-endian).
    static func hasDictionaryMagic(_ bytes: ByteView) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x37 && bytes[1] == 0xA4 && bytes[2] == 0x30 && bytes[3] == 0xEC
    }
}
