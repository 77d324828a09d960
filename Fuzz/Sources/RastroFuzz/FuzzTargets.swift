import RastroCSV
import RastroCore
import RastroPrimitives
import RastroProtocol
import RastroStore

#if canImport(Glibc)
import Glibc
#endif

/// Every parser of bytes from outside, as one libFuzzer entry point; `RASTRO_FUZZ_TARGET` picks the parser. A target
/// passes when the parser returns or throws for every input: a trap (an out-of-range index, an overflow, a failed
/// precondition) or an AddressSanitizer report is a finding.
enum FuzzTarget: String, CaseIterable {
    case csv, frame, batch, hello, timestamp, coordinate, traceblock, cell, sealed

    static let selected: FuzzTarget = {
        guard let name = getenv("RASTRO_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
            fatalError("set RASTRO_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    static let validator = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)
    static let zstd = Zstd()

    func run(_ bytes: ByteView) {
        switch self {
        case .csv:
            // Whole, then cut in two at a byte the input chooses: chunk boundaries must not matter.
            let reader = CSVScanReader(validator: Self.validator)
            var batch = ScanBatch()
            var rejects: [CSVRejection] = []
            _ = try? reader.read(bytes, isFinal: true, receivedAt: 1_790_000_000_000, maximumScans: .max, into: &batch, rejects: &rejects)
            let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
            let chunked = CSVScanReader(validator: Self.validator)
            var second = ScanBatch()
            var secondRejects: [CSVRejection] = []
            let used = (try? chunked.read(
                bytes.prefix(upTo: cut), isFinal: false, receivedAt: 1_790_000_000_000, maximumScans: .max, into: &second,
                rejects: &secondRejects)) ?? cut
            _ = try? chunked.read(
                bytes.part(from: used), isFinal: true, receivedAt: 1_790_000_000_000, maximumScans: .max, into: &second,
                rejects: &secondRejects)
        case .frame:
            var offset = 0
            while offset < bytes.count, case .frame(_, _, let length)? = try? Frame.parse(bytes.part(from: offset), maximumBytes: 1 << 20) {
                offset += length
            }
        case .batch:
            var decoder = BatchDecoder(validator: Self.validator, maximumScans: 10_000)
            var batch = ScanBatch()
            var rejections: [BatchDecoder.Rejection] = []
            _ = try? decoder.decode(bytes, receivedAt: 1_790_000_000_000, into: &batch, rejections: &rejections)
            // A second batch on the same connection refers to the first one's identifiers.
            _ = try? decoder.decode(bytes, receivedAt: 1_790_000_000_000, into: &batch, rejections: &rejections)
        case .hello:
            _ = try? Hello.decode(bytes)
            _ = try? Welcome.decode(bytes)
            _ = try? ErrorFrame.decode(bytes)
            _ = try? Ack.decode(bytes)
        case .timestamp:
            var zone = SiteTimeZone(identifier: "America/Bogota")!
            _ = try? Timestamp.parse(bytes, zone: &zone)
        case .coordinate:
            _ = try? Coordinate.parse(bytes, limitDegrees: 180)
            _ = try? Decimal64.parse(bytes)
            _ = Identifier.problem(bytes, maximumBytes: 40)
        case .traceblock:
            var block = TraceBlock(number: 1)
            var scratch: [UInt8] = []
            try? block.decode(bytes, number: 1, zstd: Self.zstd, scratch: &scratch)
            // Stored values carry a checksum, which a mutated input almost never matches: the payload decoder is also
            // fed directly, as the unchecked formats of schemas 2 and 3 (0x00, 0x02) still feed it the envelope's.
            var payload = TraceBlock(number: 1)
            try? payload.decodePayload(bytes)
        case .cell:
            _ = try? Cell.decode(bytes, center: 1, dayStart: 1_788_238_800_000, wantRecords: true) { _, _, _ in }
        case .sealed:
            var scratch: [UInt8] = []
            _ = try? SealedValue.withPayload(bytes, zstd: Self.zstd, scratch: &scratch) { $0.count }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    // The C boundary: libFuzzer lends its input for the length of this call.
    FuzzTarget.selected.run(ByteView(borrowing: UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Seeds for the stored formats, encoded by the store's own encoders: `RastroFuzz --write-seeds DIR`.
func writeSeeds(to directory: String) {
    func save(_ target: FuzzTarget, _ name: String, _ writer: ByteWriter) {
        let path = "\(directory)/\(target.rawValue)/\(name)"
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        writer.withBytes { view in view.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, file) } }
        fclose(file)
    }
    var block = TraceBlock(number: 3)
    for item in 0..<40 {
        let scans = (0..<(1 + item % 5)).map { index in
            StoredScan(
                scannedAt: 1_788_267_283_000 + Int64(item * 60_000 + index * 3_600_000), receivedAt: 1_788_267_300_000,
                seq: UInt64(item * 10 + index), messenger: UInt32(1 + item % 3), workCenter: 1, device: UInt32(1 + item % 4),
                reason: index == 2 ? 1 : 0, latitude: 47_491_460, longitude: -741_007_500,
                event: Event(rawValue: UInt8(index % Event.count))!, hasLocation: index % 2 == 0)
        }
        block.appendItem(name: InlineBytes("GU\(1_000_000 + item)"), scans: scans)
    }
    // Values as schema 4 writes them (the seeds of schemas 2 and 3, `raw-schema3` and `sealed-schema3`, stay in
    // the corpus: their envelopes carry no checksum, so mutations reach the decoders through them).
    let checked = ByteWriter()
    block.encode(into: checked, scratch: ByteWriter(), zstd: nil)
    save(.traceblock, "checked", checked)
    let sealed = ByteWriter()
    block.encode(into: sealed, scratch: ByteWriter(), zstd: FuzzTarget.zstd)
    save(.traceblock, "sealed-checked", sealed)
    let payload = ByteWriter()
    block.encodePayload(into: payload)
    save(.traceblock, "payload", payload)
    var tail = TraceBlock(number: 3)
    tail.appendItem(name: block.names[2], scans: [block.scans[block.starts[2]]])
    tail.appendItem(name: InlineBytes("GU2000000"), scans: [block.scans[0]])
    // A tailed value (0xC0, docs/storage.md §5.1): the checked block, then one tail touching item 2 and adding item 40.
    let tailBytes = ByteWriter()
    tailBytes.varint(2)
    tailBytes.varint(2)
    tailBytes.varint(40 - 2 - 1)
    tail.encodePayload(into: tailBytes)
    let tailed = ByteWriter()
    tailed.byte(0xC0)
    tailed.varint(checked.count)
    checked.withBytes { tailed.append($0) }
    tailed.varint(4 + tailBytes.count)
    tailBytes.withBytes { tailed.uint32BigEndian(CRC32C.checksum($0)) }
    tailBytes.withBytes { tailed.append($0) }
    save(.traceblock, "tailed", tailed)
    save(.sealed, "checked", checked)
    save(.sealed, "sealed-checked", sealed)
    let records = (0..<6).map {
        CellRecord(time: 1_788_267_283_000 + Int64($0 * 600_000), event: Event(rawValue: UInt8($0 % Event.count))!,
                   previousEventCode: UInt8($0 % Event.count), previousCenter: 1, reason: $0 == 4 ? 2 : 0)
    }
    let cell = ByteWriter()
    Cell.encode([(1, records), (3, Array(records.prefix(2)))], center: 1, dayStart: 1_788_238_800_000, into: cell, scratch: ByteWriter())
    save(.cell, "two-people", cell)
}

/// SwiftPM links an executable target's entry point under this name; it hands control to libFuzzer's driver.
@_cdecl("RastroFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    if argc == 3, let flag = argv?[1], String(cString: flag) == "--write-seeds", let directory = argv?[2] {
        writeSeeds(to: String(cString: directory))
        return 0
    }
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { start, length in fuzzOne(start, length) }
}
