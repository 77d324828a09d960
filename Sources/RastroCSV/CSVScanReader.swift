import RastroCore
import RastroPrimitives

/// Reads scans from CSV, on bytes, in chunks of any size.
///
/// The dialect is what clerks' spreadsheets and gateways really send: a header row naming the columns in any order
/// (unknown columns are ignored and reported once), `,` or `;` detected from the header, RFC 4180 quoting with quoted
/// delimiters, doubled quotes and embedded newlines, an optional UTF-8 byte order mark, LF or CRLF line ends, blank
/// lines skipped, spaces around unquoted values ignored.
///
/// A bad record becomes a ``CSVRejection`` naming its line, field and reason; the records around it are read as if
/// it were not there. A stray quote cannot swallow the rest of a file: a quoted field that runs over line ends is
/// kept only when the record it makes is well formed (RFC 4180 multi-line fields); otherwise only the line the quote
/// opened on is rejected and reading resumes at the next line. A record longer than ``Limits/csvRecordBytes`` is
/// rejected the same way, which bounds how far a stray quote is followed.
///
/// The reader never makes a `String` of a field that is valid: fields are byte ranges of the chunk, handed to
/// ``ScanValidator`` which copies identifiers into the batch's arena.
public final class CSVScanReader {
    /// The header, once read.
    public private(set) var header: CSVHeader?
    /// The physical line number of the next record (1 = the header).
    public private(set) var line = 1
    /// Records read after the header, rejected ones included; blank lines are not records.
    public private(set) var records = 0

    var validator: ScanValidator
    let maximumRecordBytes: Int
    var columnOfField: [Int] = []
    /// The field ranges of the record being tokenised, sized for the longest record allowed (a record of n bytes
    /// has at most n + 1 fields): a field costs a store and an increment, ten per record.
    var fields: FixedArray<FieldRange>
    var startOfStream = true
    var skippingLongRecord = false
    /// Holds unescaped copies of quoted fields with doubled quotes; one record's worth, allocated once.
    let scratch: ScratchBytes

    struct FieldRange {
        var start: Int
        var end: Int
        var escaped: Bool
        var quoted: Bool
    }

    enum Structure: Equatable {
        case textAfterClosingQuote(column: Int)
        case unterminatedQuote(column: Int)
    }

    enum Scanned {
        case record(end: Int, next: Int, newlines: Int, structure: Structure?)
        case incomplete
        case tooLong(insideQuotes: Bool)
    }

    public init(validator: ScanValidator) {
        self.validator = validator
        self.maximumRecordBytes = validator.limits.csvRecordBytes
        scratch = ScratchBytes(count: validator.limits.csvRecordBytes + 16)
        fields = FixedArray(
            capacity: validator.limits.csvRecordBytes + 2, filler: FieldRange(start: 0, end: 0, escaped: false, quoted: false))
    }

    deinit {
        scratch.deallocate()
        fields.deallocate()
    }

    /// Reads as many complete records of `chunk` as fit in `maximumScans` more scans of `batch`.
    ///
    /// Returns the number of bytes consumed. Unless `isFinal`, a record cut by the chunk's end is not consumed: pass
    /// those bytes again, followed by more input. `isFinal` marks the end of the stream (a last record without a line
    /// end is complete).
    public func read(
        _ chunk: ByteView, isFinal: Bool, receivedAt: Int64, maximumScans: Int,
        maximumRejects: Int = .max, into batch: inout ScanBatch, rejects: inout [CSVRejection]
    ) throws(CSVFileError) -> Int {
        guard chunk.count > 0 else { return 0 }
        let count = chunk.count
        var position = 0
        if startOfStream {
            if count < 3 && !isFinal { return 0 }
            if count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { position = 3 }
            startOfStream = false
        }
        let target = maximumScans > Int.max - batch.count ? Int.max : batch.count + maximumScans
        let rejectTarget = maximumRejects > Int.max - rejects.count ? Int.max : rejects.count + maximumRejects
        while position < count && batch.count < target && rejects.count < rejectTarget {
            if skippingLongRecord {
                guard let lineEnd = chunk.firstIndex(of: UInt8(ascii: "\n"), from: position, to: count) else { return count }
                line += 1
                position = lineEnd + 1
                skippingLongRecord = false
                continue
            }
            if header == nil {
                guard let consumed = try readHeader(chunk, from: position, isFinal: isFinal) else { return position }
                position = consumed
                continue
            }
            let recordLine = line
            switch scanRecord(chunk, from: position, delimiter: header!.delimiter, isFinal: isFinal) {
            case .incomplete:
                return position
            case .tooLong(let insideQuotes):
                // Resume at the end of the physical line the record starts on: if a stray quote made the record
                // run on, the lines after it are good records and must not be lost with it.
                records += 1
                let lineEnd = chunk.firstIndex(of: UInt8(ascii: "\n"), from: position, to: count)
                let shown = min((lineEnd ?? count) - position, maximumRecordBytes)
                rejects.append(
                    CSVRejection(
                        line: recordLine, field: "row",
                        reason: "the record is longer than \(maximumRecordBytes) bytes"
                            + (insideQuotes ? " (a quote opened on this line is never closed)" : ""),
                        record: chunk.part(from: position, count: shown).string))
                guard let lineEnd else {
                    skippingLongRecord = !isFinal
                    return count
                }
                line += 1
                position = lineEnd + 1
            case .record(let end, let next, let newlines, let structure):
                if structure != nil || fields.count != header!.columns.count,
                    let lineEnd = chunk.firstIndex(of: UInt8(ascii: "\n"), from: position, to: end)
                {
                    // A quoted field ran over line ends and the record it made is malformed: a stray quote, not an
                    // RFC 4180 multi-line field. Only the line the quote opened on is rejected; the lines after it
                    // are read again as records of their own.
                    records += 1
                    rejects.append(
                        CSVRejection(
                            line: recordLine, field: columnName(structureColumn(structure) ?? 0),
                            reason: "a quote opened on this line is not closed before the line ends (the line is skipped;"
                                + " reading resumes at line \(recordLine + 1))",
                            record: chunk.part(position..<lineEnd).string))
                    line += 1
                    position = lineEnd + 1
                    continue
                }
                line += newlines
                defer { position = next }
                if isBlank(chunk) { continue }
                records += 1
                decodeRecord(
                    chunk, start: position, end: end, line: recordLine, structure: structure, receivedAt: receivedAt,
                    into: &batch, rejects: &rejects)
            }
        }
        return position
    }

    /// Finds the boundaries of up to `maximum` records without validating them (clients that send raw CSV use it to
    /// cut a file at record ends, quoted newlines included). The header, when this call reads it, is reported as the
    /// byte range it occupies. Returns the bytes consumed and the records found.
    public func scanRawRecords(
        _ chunk: ByteView, isFinal: Bool, maximum: Int
    ) throws(CSVFileError) -> (consumed: Int, records: Int, header: Range<Int>?) {
        guard chunk.count > 0 else { return (0, 0, nil) }
        let count = chunk.count
        var position = 0
        var headerRange: Range<Int>? = nil
        if startOfStream {
            if count < 3 && !isFinal { return (0, 0, nil) }
            if count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { position = 3 }
            startOfStream = false
        }
        if header == nil {
            let start = position
            guard let next = try readHeader(chunk, from: position, isFinal: isFinal) else { return (position, 0, nil) }
            headerRange = start..<next
            position = next
        }
        var records = 0
        while position < count && records < maximum {
            switch scanRecord(chunk, from: position, delimiter: header!.delimiter, isFinal: isFinal) {
            case .incomplete:
                return (position, records, headerRange)
            case .tooLong:
                // Left for the server to reject: send the physical line as it is.
                let lineEnd = chunk.firstIndex(of: UInt8(ascii: "\n"), from: position, to: count)
                guard let lineEnd else { return (isFinal ? count : position, records + (isFinal ? 1 : 0), headerRange) }
                position = lineEnd + 1
                line += 1
                records += 1
            case .record(_, let next, let newlines, _):
                line += newlines
                if !isBlank(chunk) { records += 1 }
                position = next
            }
        }
        return (position, records, headerRange)
    }

    /// Reads the header record; returns the position after it, or `nil` when more input is needed.
    func readHeader(_ chunk: ByteView, from start: Int, isFinal: Bool) throws(CSVFileError) -> Int? {
        let count = chunk.count
        let lineEnd = chunk.firstIndex(of: UInt8(ascii: "\n"), from: start, to: count)
        if lineEnd == nil && !isFinal {
            if count - start > maximumRecordBytes {
                throw CSVFileError(line: line, message: "the header is longer than \(maximumRecordBytes) bytes")
            }
            return nil
        }
        let headerLine = chunk.part(start..<(lineEnd ?? count))
        let delimiter = CSVHeader.detectDelimiter(headerLine)
        switch scanRecord(chunk, from: start, delimiter: delimiter, isFinal: isFinal) {
        case .incomplete:
            return nil
        case .tooLong(_):
            throw CSVFileError(line: line, message: "the header is longer than \(maximumRecordBytes) bytes")
        case .record(_, let next, let newlines, let structure):
            if structure != nil { throw CSVFileError(line: line, message: "the header has a malformed quoted name") }
            if isBlank(chunk) {
                line += newlines
                return next
            }
            var names: [String] = []
            for index in fields.indices {
                names.append(String(decoding: bytes(of: index, chunk, scratchOffset: 0).0, as: UTF8.self))
            }
            let parsed = try CSVHeader(names: names, delimiter: delimiter, line: line)
            header = parsed
            columnOfField = parsed.columnOfField
            line += newlines
            return next
        }
    }

    /// Validates one tokenised record into `batch`, or rejects it.
    func decodeRecord(
        _ chunk: ByteView, start: Int, end: Int, line recordLine: Int, structure: Structure?,
        receivedAt: Int64, into batch: inout ScanBatch, rejects: inout [CSVRejection]
    ) {
        let columns = header!.columns
        func reject(_ field: String, _ reason: String) {
            rejects.append(
                CSVRejection(
                    line: recordLine, field: field, reason: reason,
                    record: chunk.part(start..<end).string))
        }
        if let structure {
            switch structure {
            case .textAfterClosingQuote(let column):
                reject(columnName(column), "unexpected text after a closing quote")
            case .unterminatedQuote(let column):
                reject(columnName(column), "a quoted field is not closed before the end of the input")
            }
            return
        }
        guard fields.count == columns.count else {
            if fields.count < columns.count {
                reject(columnName(fields.count), "the record has \(fields.count) fields; the header has \(columns.count)")
            } else {
                reject("row", "the record has \(fields.count) fields; the header has \(columns.count)")
            }
            return
        }
        var scratchUsed = 0
        @inline(__always) func field(_ field: ScanField) -> ByteView {
            let column = columnOfField[field.rawValue]
            if column < 0 { return ByteView() }
            let (result, used) = bytes(of: column, chunk, scratchOffset: scratchUsed)
            scratchUsed += used
            return result
        }
        let raw = ScanValidator.RawFields(
            trackingID: field(.trackingID), event: field(.event), scannedAt: field(.scannedAt),
            messenger: field(.messenger), workCenter: field(.workCenter), device: field(.device), seq: field(.seq),
            reason: field(.reason), latitude: field(.latitude), longitude: field(.longitude))
        do throws(ScanValidator.Problem) {
            try validator.append(raw, receivedAt: receivedAt, source: UInt32(truncatingIfNeeded: recordLine), to: &batch)
        } catch {
            reject(error.field.name, error.message)
        }
    }

    /// The column a structural problem is in.
    func structureColumn(_ structure: Structure?) -> Int? {
        switch structure {
        case .textAfterClosingQuote(let column)?, .unterminatedQuote(let column)?: column
        case nil: fields.indices.first { fields[$0].quoted && fields[$0].end > fields[$0].start }
        }
    }

    func columnName(_ column: Int) -> String {
        guard let header, column < header.columns.count else { return "row" }
        if let field = header.columns[column] { return field.name }
        return "row"
    }

    /// The bytes of field `index`: spaces trimmed when unquoted, doubled quotes undone (into the scratch buffer).
    @inline(__always)
    func bytes(of index: Int, _ chunk: ByteView, scratchOffset: Int) -> (ByteView, Int) {
        let range = fields[index]
        var start = range.start
        var end = range.end
        if !range.quoted {
            while start < end, case let byte = chunk[start], byte == 32 || byte == 9 { start += 1 }
            while end > start, case let byte = chunk[end - 1], byte == 32 || byte == 9 { end -= 1 }
        }
        // A `'` the CSV writer put in front of what a spreadsheet would take for a formula (no scan field starts
        // with `'` itself): the field is what follows it.
        if end - start >= 2 && chunk[start] == CSVWriter.formulaGuard && CSVWriter.startsFormula(chunk[start + 1]) {
            start += 1
        }
        guard range.escaped else { return (chunk.part(start..<end), 0) }
        let output = scratch.bytes
        var written = 0
        var position = start
        while position < end {
            let byte = chunk[position]
            output[scratchOffset + written] = byte
            written += 1
            position += byte == UInt8(ascii: "\"") ? 2 : 1
        }
        return (output.view(scratchOffset..<scratchOffset + written), written)
    }

    func isBlank(_ chunk: ByteView) -> Bool {
        guard fields.count == 1, !fields[0].quoted else { return false }
        for position in fields[0].start..<fields[0].end {
            let byte = chunk[position]
            if byte != 32 && byte != 9 { return false }
        }
        return true
    }

    /// Tokenises one record starting at `start` into `fields`.
    func scanRecord(_ chunk: ByteView, from start: Int, delimiter: UInt8, isFinal: Bool) -> Scanned {
        let count = chunk.count
        fields.removeAll()
        let quote = UInt8(ascii: "\"")
        let lineFeed = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        let limit = start + maximumRecordBytes
        var position = start
        var newlines = 0
        var structure: Structure? = nil
        while true {
            if position < count && chunk[position] == quote {
                let contentStart = position + 1
                var escaped = false
                position += 1
                var contentEnd = -1
                while contentEnd < 0 {
                    if position >= limit { return .tooLong(insideQuotes: true) }
                    if position >= count {
                        if !isFinal { return .incomplete }
                        if structure == nil { structure = .unterminatedQuote(column: fields.count) }
                        contentEnd = count
                        break
                    }
                    let byte = chunk[position]
                    if byte == quote {
                        if position + 1 < count {
                            if chunk[position + 1] == quote {
                                escaped = true
                                position += 2
                                continue
                            }
                        } else if !isFinal {
                            return .incomplete
                        }
                        contentEnd = position
                        position += 1
                    } else {
                        if byte == lineFeed { newlines += 1 }
                        position += 1
                    }
                }
                fields.append(FieldRange(start: contentStart, end: contentEnd, escaped: escaped, quoted: true))
                if position < count {
                    let next = chunk[position]
                    if next != delimiter && next != lineFeed && next != carriageReturn {
                        if structure == nil { structure = .textAfterClosingQuote(column: fields.count - 1) }
                        while position < count {
                            let byte = chunk[position]
                            if byte == delimiter || byte == lineFeed || byte == carriageReturn { break }
                            position += 1
                            if position >= limit { return .tooLong(insideQuotes: false) }
                        }
                    }
                }
            } else {
                let fieldStart = position
                position = chunk.endOfUnquotedField(from: position, delimiter: delimiter)
                if position >= limit { return .tooLong(insideQuotes: false) }
                if position >= count && !isFinal { return .incomplete }
                fields.append(FieldRange(start: fieldStart, end: position, escaped: false, quoted: false))
            }
            if position >= count {
                if !isFinal { return .incomplete }
                return .record(end: count, next: count, newlines: newlines, structure: structure)
            }
            let byte = chunk[position]
            if byte == delimiter {
                position += 1
                continue
            }
            if byte == carriageReturn {
                if position + 1 < count {
                    let skip = chunk[position + 1] == lineFeed ? 2 : 1
                    return .record(end: position, next: position + skip, newlines: newlines + 1, structure: structure)
                }
                if !isFinal { return .incomplete }
                return .record(end: position, next: position + 1, newlines: newlines + 1, structure: structure)
            }
            return .record(end: position, next: position + 1, newlines: newlines + 1, structure: structure)
        }
    }

}
