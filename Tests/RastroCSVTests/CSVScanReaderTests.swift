@testable import RastroCSV
import RastroCore
import RastroGenerator
import RastroPrimitives
import Testing

/// Reads a whole CSV text with the standard catalogs in Bogotá, optionally in chunks of `chunkSize` bytes.
func readCSV(
    _ text: String, chunkSize: Int? = nil, reasons: ReasonCatalog? = nil, limits: Limits = .default
) throws -> (batch: ScanBatch, rejects: [CSVRejection], reader: CSVScanReader) {
    let validator = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!, reasons: reasons, limits: limits)
    let reader = CSVScanReader(validator: validator)
    var batch = ScanBatch()
    var rejects: [CSVRejection] = []
    let bytes = Array(text.utf8)
    let receivedAt: Int64 = 1_790_000_000_000  // 2026-09-21, after every timestamp below.
    try bytes.withByteView { all in
        guard let chunkSize else {
            let used = try reader.read(all, isFinal: true, receivedAt: receivedAt, maximumScans: .max, into: &batch, rejects: &rejects)
            #expect(used == all.count)
            return
        }
        // Feed growing windows the way CSVFileSource does: unconsumed bytes are offered again with more.
        var consumed = 0
        var available = 0
        while consumed < all.count {
            available = min(all.count, max(available, consumed) + chunkSize)
            let window = all.part(consumed..<available)
            consumed += try reader.read(
                window, isFinal: available == all.count, receivedAt: receivedAt, maximumScans: .max, into: &batch,
                rejects: &rejects)
        }
    }
    return (batch, rejects, reader)
}

let header = "tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon\n"
let goodRow = "GU0000000001,delivered,2026-09-01T10:00:00-05:00,MSG-01,BOG-NORTE,HH-01,7,,4.71,-74.07\n"

@Suite("CSV reader")
struct CSVScanReaderTests {
    @Test func readsARowIntoANormalisedScan() throws {
        let (batch, rejects, _) = try readCSV(header + goodRow)
        #expect(rejects.isEmpty)
        let scan = try #require(batch.scans.first)
        #expect(batch.string(scan.trackingID) == "GU0000000001")
        #expect(scan.event == .delivered)
        #expect(scan.scannedAt == 1_788_274_800_000)
        #expect(batch.string(scan.messenger) == "MSG-01")
        #expect(batch.string(scan.workCenter) == "BOG-NORTE")
        #expect(batch.string(scan.device) == "HH-01")
        #expect(scan.seq == 7)
        #expect(scan.reason.length == 0)
        #expect(scan.hasLocation && scan.latitude == 47_100_000 && scan.longitude == -740_700_000)
        #expect(scan.source == 2)
    }

    @Test func matchesColumnsByNameInAnyOrderAndReportsUnknownOnes() throws {
        let text = "Seq;DEVICE;note;work_center;messenger;scanned_at;event;tracking_id\n"
            + "9;HH-02;\"fragile; handle with care\";MED-01;MSG-02;2026-09-01 08:30;ENTREGADO;OS-77\n"
        let (batch, rejects, reader) = try readCSV(text)
        #expect(rejects.isEmpty)
        #expect(reader.header?.delimiter == UInt8(ascii: ";"))
        #expect(reader.header?.unknownColumns == ["note"])
        #expect(batch.count == 1)
        #expect(batch.string(batch.scans[0].trackingID) == "OS-77")
        #expect(batch.scans[0].event == .delivered)
        #expect(batch.scans[0].seq == 9)
        #expect(!batch.scans[0].hasLocation)
    }

    @Test func handlesBOMCRLFQuotesEmbeddedNewlinesAndBlankLines() throws {
        let text = "\u{FEFF}tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon,comment\r\n"
            + "\"GU1\",\"failed_attempt\",2026-09-01T10:00:00Z,MSG-01,BOG-NORTE,HH-01,1,CERRADO,,,\"said \"\"come back\"\"\r\nlater\"\r\n"
            + "\r\n"
            + "GU2,received,2026-09-01T11:00:00Z,MSG-01,BOG-NORTE,HH-01,2,,,,\r\n"
        let (batch, rejects, _) = try readCSV(text)
        #expect(rejects.isEmpty)
        #expect(batch.count == 2)
        #expect(batch.string(batch.scans[0].reason) == "CERRADO")
        #expect(batch.scans[0].source == 2)
        // The embedded newline moves the second record to line 5 (line 4 is blank).
        #expect(batch.scans[1].source == 5)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1000])
    func chunkBoundariesDoNotChangeTheResult(chunkSize: Int) throws {
        var text = "\u{FEFF}" + header
        for index in 0..<40 {
            text += "\"GU\(index)\",received,\"2026-09-01T10:00:\(10 + index)Z\",MSG-01,BOG,HH-01,\(index),\"\",,\r\n"
            if index % 7 == 0 { text += "bad row\n" }
        }
        let whole = try readCSV(text)
        let chunked = try readCSV(text, chunkSize: chunkSize)
        #expect(chunked.batch.count == 40)
        #expect(chunked.batch.scans.map(\.seq) == whole.batch.scans.map(\.seq))
        #expect(chunked.batch.scans.map(\.source) == whole.batch.scans.map(\.source))
        #expect(chunked.rejects == whole.rejects)
        #expect(whole.rejects.count == 6)
    }

    /// Each malformed row is rejected with its line, its field and a reason; the good rows around it are kept.
    @Test(arguments: [
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,,", "tracking_id", "", false),
        (",delivered,2026-09-01T10:00:00Z,M,C,D,1,,,", "tracking_id", "is empty", true),
        ("GU 1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,,", "tracking_id", "contains ' '", true),
        ("GU\(String(repeating: "9", count: 40)),delivered,2026-09-01T10:00:00Z,M,C,D,1,,,", "tracking_id", "42 bytes long", true),
        ("GU1,teleported,2026-09-01T10:00:00Z,M,C,D,1,,,", "event", "not a known event code", true),
        ("GU1,delivered,2026-09-31T10:00:00Z,M,C,D,1,,,", "scanned_at", "day 31 does not exist", true),
        ("GU1,delivered,yesterday,M,C,D,1,,,", "scanned_at", "not a timestamp", true),
        ("GU1,delivered,1999-12-31T10:00:00Z,M,C,D,1,,,", "scanned_at", "before 2000-01-01", true),
        ("GU1,delivered,2030-01-01T10:00:00Z,M,C,D,1,,,", "scanned_at", "clock is ahead", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,,C,D,1,,,", "messenger", "is empty", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C\u{00E9},D,1,,,", "work_center", "byte 0xC3", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,\(String(repeating: "D", count: 33)),1,,,", "device", "33 bytes long", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,-4,,,", "seq", "not an unsigned integer", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,99999999999999999999,,,", "seq", "does not fit in 64 bits", true),
        ("GU1,failed_attempt,2026-09-01T10:00:00Z,M,C,D,1,,,", "reason", "is required for failed_attempt", true),
        ("GU1,returned,2026-09-01T10:00:00Z,M,C,D,1,,,", "reason", "is required for returned", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,4.7,", "lon", "give both or neither", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,,-74", "lat", "give both or neither", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,91,-74", "lat", "outside ±90", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,4.7,-181", "lon", "outside ±180", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,north,-74", "lat", "not a number of degrees", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,", "lon", "the record has 9 fields; the header has 10", true),
        ("GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,,,extra", "row", "the record has 11 fields", true),
        ("\"GU1\"x,delivered,2026-09-01T10:00:00Z,M,C,D,1,,,", "tracking_id", "unexpected text after a closing quote", true),
    ])
    func rejectsMalformedRowsAndKeepsTheirNeighbours(row: String, field: String, reason: String, rejected: Bool) throws {
        let text = header + goodRow + row + "\n" + goodRow.replacingOccurrences(of: ",7,", with: ",8,")
        let (batch, rejects, _) = try readCSV(text)
        if !rejected {
            #expect(rejects.isEmpty)
            #expect(batch.count == 3)
            return
        }
        #expect(batch.count == 2)
        #expect(batch.scans.map(\.seq) == [7, 8])
        #expect(batch.scans.map(\.source) == [2, 4])
        let rejection = try #require(rejects.first)
        #expect(rejects.count == 1)
        #expect(rejection.line == 3)
        #expect(rejection.field == field)
        #expect(rejection.reason.contains(reason), "\(rejection.reason)")
        #expect(rejection.record == row)
    }

    @Test func reasonCatalogValidatesAndCanonicalises() throws {
        let rows = header
            + "GU1,failed_attempt,2026-09-01T10:00:00Z,M,C,D,1,cerrado,,\n"
            + "GU1,failed_attempt,2026-09-01T10:00:00Z,M,C,D,2,ABDUCTED,,\n"
            + "GU1,failed_attempt,2026-09-01T10:00:00Z,M,C,D,3,NO_RECLAMADO,,\n"
        let (batch, rejects, _) = try readCSV(rows, reasons: .standard)
        #expect(batch.count == 1)
        #expect(batch.string(batch.scans[0].reason) == "CERRADO")
        #expect(rejects.map(\.line) == [3, 4])
        #expect(rejects[0].reason.contains("not in the reason catalog"))
        #expect(rejects[1].reason.contains("does not apply to failed_attempt"))
    }

    @Test func anUnclosedQuoteCostsOnlyItsOwnLine() throws {
        var limits = Limits()
        limits.csvRecordBytes = 200
        var text = header + "\"GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,,\n"
        for seq in 2...10 { text += "GU\(seq),delivered,2026-09-01T10:00:00Z,M,C,D,\(seq),,,\n" }
        let (batch, rejects, _) = try readCSV(text, limits: limits)
        #expect(rejects.count == 1)
        #expect(rejects[0].line == 2)
        #expect(rejects[0].reason.contains("never closed"))
        #expect(batch.scans.map(\.seq) == Array(2...10))
        #expect(batch.scans.first?.source == 3)
    }

    /// A stray quote within the record bound: the quoted field would run to the end of the input (or to the next
    /// quote, in a later row), making one malformed record of 31 lines. Only the quote's own line is rejected, named,
    /// and the 30 rows after it are read, whatever the chunks.
    @Test(arguments: [nil, 5, 64] as [Int?])
    func aStrayQuoteCostsOnlyItsOwnLine(chunkSize: Int?) throws {
        var text = header + "GU0,\"delivered,2026-09-01T10:00:00Z,M,C,D,100,,,\n"
        for seq in 1...30 { text += "GU\(seq),delivered,2026-09-01T10:00:00Z,M,C,D,\(seq),,,\n" }
        let (batch, rejects, _) = try readCSV(text, chunkSize: chunkSize)
        #expect(rejects.map(\.line) == [2])
        #expect(rejects.first?.field == "event")
        #expect(rejects.first?.reason.contains("reading resumes at line 3") == true)
        #expect(batch.scans.map(\.seq) == Array(1...30))
        #expect(batch.scans.map(\.source) == Array(3...32))

        // The stray quote closes at a quote in a later row: the text after it makes the record malformed the same way.
        let closing = header + "GU0,\"delivered,2026-09-01T10:00:00Z,M,C,D,100,,,\n" + goodRow
            + "GU2,\"received\",2026-09-01T10:00:00Z,M,C,D,8,,,\n"
        let (later, laterRejects, _) = try readCSV(closing, chunkSize: chunkSize)
        #expect(laterRejects.map(\.line) == [2])
        #expect(later.scans.map(\.source) == [3, 4])
    }

    @Test func anOverlongLineIsRejectedAndReadingResumes() throws {
        var limits = Limits()
        limits.csvRecordBytes = 100
        let text = header + "GU1,delivered,2026-09-01T10:00:00Z,M,C,D,1,,,\(String(repeating: "x", count: 300))\n" + goodRow
        for chunkSize in [nil, 16] as [Int?] {
            let (batch, rejects, _) = try readCSV(text, chunkSize: chunkSize, limits: limits)
            #expect(rejects.map(\.line) == [2])
            #expect(rejects.first?.reason.contains("longer than 100 bytes") == true)
            #expect(batch.scans.map(\.source) == [3])
        }
    }

    /// Records made only of delimiters hold the most fields a record can: one more than its bytes. At the length
    /// limit they are refused for their field count, past it for their length, and the rows around them are read.
    @Test(arguments: [nil, 7] as [Int?])
    func recordsOfNothingButDelimitersAtAndPastTheLimit(chunkSize: Int?) throws {
        var limits = Limits()
        limits.csvRecordBytes = 100
        let text = header + goodRow + String(repeating: ",", count: 99) + "\n" + String(repeating: "\"\",", count: 60)
            + "\n" + String(repeating: ",", count: 150) + "\n" + goodRow
        let (batch, rejects, _) = try readCSV(text, chunkSize: chunkSize, limits: limits)
        #expect(rejects.map(\.line) == [3, 4, 5])
        #expect(rejects[0].reason.contains("the record has 100 fields; the header has 10"))
        #expect(rejects[1].reason.contains("longer than 100 bytes"))
        #expect(rejects[2].reason.contains("longer than 100 bytes"))
        #expect(batch.scans.map(\.source) == [2, 6])
    }

    @Test(arguments: [
        ("tracking_id,event,scanned_at\nGU1,delivered,2026-09-01T10:00:00Z\n", "messenger, work_center, device, seq"),
        ("tracking_id,tracking_id,event,scanned_at,messenger,work_center,device,seq\n", "appears twice"),
        ("tracking_id,event,scanned_at,messenger,work_center,device,seq,lat\n", "one of lat and lon"),
    ])
    func aBadHeaderStopsTheFile(text: String, message: String) {
        #expect {
            _ = try readCSV(text)
        } throws: { error in
            (error as? CSVFileError)?.message.contains(message) == true
        }
    }

    @Test func aLastRowWithoutLineEndIsRead() throws {
        let (batch, rejects, _) = try readCSV(header + goodRow.dropLast())
        #expect(rejects.isEmpty)
        #expect(batch.count == 1)
    }
}

@Suite("CSV writer")
struct CSVWriterTests {
    @Test(arguments: [("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\"")])
    func quotesOnlyWhenNeeded(value: String, expected: String) {
        #expect(CSVWriter.row([value]) == expected)
    }

    @Test func writtenRowsReadBack() throws {
        var output: [UInt8] = []
        CSVWriter.appendRow(["tracking_id", "event", "scanned_at", "messenger", "work_center", "device", "seq", "reason", "lat", "lon"], to: &output)
        CSVWriter.appendRow(["GU1", "failed_attempt", "2026-09-01T10:00:00Z", "M", "C", "D", "1", "CERRADO", "", ""], to: &output)
        let (batch, rejects, _) = try readCSV(String(decoding: output, as: UTF8.self))
        #expect(rejects.isEmpty && batch.count == 1)
    }

    /// The word-at-a-time field end against a byte loop, on random bytes rich in delimiters, line ends, tabs, other
    /// control bytes and bytes above 0x7F, from every start and with either delimiter.
    @Test func theFieldEndMatchesAByteLoop() {
        var random = SplitMix(seed: 7)
        func next() -> UInt64 { random.next() }
        let alphabet: [UInt8] = Array("abcXYZ0189-_. ".utf8) + [0x2C, 0x3B, 0x0A, 0x0D, 0x09, 0x01, 0x1F, 0x20, 0x7F, 0x80, 0xC3, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<Int(next() % 40)).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let delimiter: UInt8 = next() % 2 == 0 ? 0x2C : 0x3B
            let start = bytes.isEmpty ? 0 : Int(next() % UInt64(bytes.count + 1))
            let expected = bytes[start...].firstIndex { $0 == delimiter || $0 == 0x0A || $0 == 0x0D } ?? bytes.count
            let got = bytes.withByteView { $0.endOfUnquotedField(from: start, delimiter: delimiter) }
            #expect(got == expected, "\(bytes) from \(start)")
        }
    }
}

/// CSV injection (OWASP): what a spreadsheet would run as a formula is written as text, and read back as it was.
@Suite("CSV formula guard")
struct CSVFormulaGuardTests {
    @Test(arguments: [
        ("=1+1", "'=1+1"), ("+A1", "'+A1"), ("-A1", "'-A1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tX", "'\tX"),
        ("\rX", "\"'\rX\""), ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""), ("-", "'-"),
        ("-74.0712345", "-74.0712345"), ("+4.7", "+4.7"), ("-12", "-12"), ("GU1", "GU1"), ("a=b", "a=b"), ("", ""),
        ("-1.2.3", "'-1.2.3"), ("-.5", "'-.5"),
    ])
    func fieldsThatLookLikeFormulasAreGuarded(value: String, written: String) {
        var output: [UInt8] = []
        CSVWriter.appendField(value, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == written)
    }

    /// Guarded fields read back without their guard; a `'` before anything else is the field's own.
    @Test func theReaderRemovesTheGuard() throws {
        let text = header + "'-GU1,delivered,2026-09-01T10:00:00Z,'-M,C,'-D,7,,-4.71,-74.07\n"
            + "GU2,delivered,2026-09-01T10:00:00Z,'M,C,D,8,,,\n"
        let (batch, rejects, _) = try readCSV(text)
        #expect(batch.count == 1)
        #expect(batch.string(batch.scans[0].trackingID) == "-GU1")
        #expect(batch.string(batch.scans[0].messenger) == "-M")
        #expect(batch.string(batch.scans[0].device) == "-D")
        #expect(batch.scans[0].latitude == -47_100_000)
        #expect(rejects.map(\.line) == [3])
        #expect(rejects.first?.field == "messenger")
    }
}
