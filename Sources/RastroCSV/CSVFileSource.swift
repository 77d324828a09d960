#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore
import RastroPrimitives

/// Streams a CSV file (or standard input) through a ``CSVScanReader`` in fixed-size chunks.
///
/// Memory stays at one chunk plus one record, whatever the file's size: a record cut by the end of a chunk is moved
/// to the front of the buffer and completed by the next read.
public final class CSVFileSource {
    public let path: String
    public let reader: CSVScanReader
    let descriptor: Int32
    let ownsDescriptor: Bool
    let buffer: ScratchBytes
    var filled = 0
    var consumed = 0
    var endOfFile = false
    /// Bytes read from the file so far.
    public private(set) var bytesRead = 0
    /// The file's size when known (regular files), for progress reports.
    public let size: Int?

    public static let chunkBytes = 4 << 20

    /// Opens `path`; `-` means standard input.
    public init(path: String, validator: ScanValidator) throws(CSVFileError) {
        self.path = path
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
            size = nil
        } else {
            let opened = open(path, O_RDONLY)
            guard opened >= 0 else {
                throw CSVFileError(line: 0, message: "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            descriptor = opened
            ownsDescriptor = true
            var status = stat()
            size = fstat(opened, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : nil
        }
        reader = CSVScanReader(validator: validator)
        buffer = ScratchBytes(count: Self.chunkBytes + validator.limits.csvRecordBytes + 16)
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
        buffer.deallocate()
    }

    /// Reads up to `maximumScans` scans into `batch`; returns `false` once the file is exhausted and nothing was read.
    public func next(
        maximumScans: Int, maximumRejects: Int = .max, receivedAt: Int64, into batch: inout ScanBatch,
        rejects: inout [CSVRejection]
    ) throws(CSVFileError) -> Bool {
        let startScans = batch.count
        let startRejects = rejects.count
        while batch.count - startScans < maximumScans && rejects.count - startRejects < maximumRejects {
            if consumed == filled || (!endOfFile && filled - consumed < buffer.bytes.count / 2) {
                try refill()
            }
            if consumed == filled && endOfFile { break }
            let window = buffer.bytes.view(consumed..<filled)
            let used = try reader.read(
                window, isFinal: endOfFile, receivedAt: receivedAt, maximumScans: maximumScans - (batch.count - startScans),
                maximumRejects: maximumRejects - (rejects.count - startRejects), into: &batch, rejects: &rejects)
            consumed += used
            if used == 0 && !endOfFile { try refill() } else if used == 0 { break }
        }
        return batch.count > startScans || rejects.count > startRejects || !(consumed == filled && endOfFile)
    }

    /// The header line, once read by ``nextRawRecords(maximum:)``.
    var rawHeader: [UInt8] = []

    /// Up to `maximum` complete records as raw bytes (line ends included, the last one added if missing), with the
    /// header line; `nil` at the end of the file.
    public func nextRawRecords(maximum: Int) throws(CSVFileError) -> (header: [UInt8], rows: [UInt8], count: Int)? {
        var rows: [UInt8] = []
        var records = 0
        while records < maximum {
            if consumed == filled || (!endOfFile && filled - consumed < buffer.bytes.count / 2) { try refill() }
            if consumed == filled && endOfFile { break }
            let window = buffer.bytes.view(consumed..<filled)
            let (used, found, header) = try reader.scanRawRecords(window, isFinal: endOfFile, maximum: maximum - records)
            if let header { rawHeader = window.part(header).array }
            let rowStart = header?.upperBound ?? 0
            if used > rowStart { rows.append(window.part(rowStart..<used)) }
            consumed += used
            records += found
            if used == 0 {
                if endOfFile { break }
                try refill()
            }
        }
        if let last = rows.last, last != UInt8(ascii: "\n") { rows.append(UInt8(ascii: "\n")) }
        if rawHeader.last != UInt8(ascii: "\n") && !rawHeader.isEmpty { rawHeader.append(UInt8(ascii: "\n")) }
        return records == 0 ? nil : (rawHeader, rows, records)
    }

    /// Moves the unread tail to the front and reads more after it.
    func refill() throws(CSVFileError) {
        guard !endOfFile else { return }
        let remaining = filled - consumed
        if consumed > 0 && remaining > 0 { buffer.bytes.move(from: consumed, to: 0, count: remaining) }
        filled = remaining
        consumed = 0
        let capacity = buffer.bytes.count
        while filled < capacity {
            let count = buffer.bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, capacity - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CSVFileError(line: reader.line, message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                endOfFile = true
                break
            }
            filled += count
            bytesRead += count
            if filled - consumed >= Self.chunkBytes { break }
        }
    }
}
