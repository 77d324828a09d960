import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

@Suite("Varints")
struct VarintTests {
    @Test(arguments: [UInt64(0), 1, 127, 128, 16_383, 16_384, UInt64(UInt32.max), UInt64.max - 1, UInt64.max])
    func unsignedRoundTrips(value: UInt64) throws {
        let writer = ByteWriter()
        writer.varint(value)
        #expect(writer.count == varintLength(value))
        let (decoded, atEnd) = try writer.withBytes { bytes -> (UInt64, Bool) in
            var reader = ByteReader(bytes)
            return (try reader.varint(), reader.isAtEnd)
        }
        #expect(decoded == value && atEnd)
    }

    @Test(arguments: [Int64(0), 1, -1, 63, -64, 64, Int64.max, Int64.min, -1_000_000_007])
    func zigzagRoundTrips(value: Int64) throws {
        let writer = ByteWriter()
        writer.zigzag(value)
        let decoded = try writer.withBytes { bytes -> Int64 in
            var reader = ByteReader(bytes)
            return try reader.zigzag()
        }
        #expect(decoded == value)
    }

    @Test(arguments: [[UInt8](), [0x80], [0xFF, 0xFF], [UInt8](repeating: 0xFF, count: 11)])
    func truncatedOrOverlongVarintsAreCorruption(bytes: [UInt8]) {
        #expect(throws: StoreCorruption.self) {
            try bytes.withByteView { buffer in
                var reader = ByteReader(buffer)
                _ = try reader.varint()
            }
        }
    }
}

@Suite("Storage formats")
struct FormatTests {
    /// A block of random scans; with `receiveTimes`, their receive times repeat out of that many instants (a server's
    /// blocks: many batches, each received at its own instant), otherwise nearly every scan has its own.
    static func randomBlock(seed: UInt64, items: Int, millisecondDevices: Bool, receiveTimes: Int? = nil) -> TraceBlock {
        var random = SplitMixForTests(seed: seed)
        var block = TraceBlock(number: UInt32(seed % 1000))
        var seqs: [UInt32: UInt64] = [:]
        var time: Int64 = 1_788_274_800_000
        for item in 0..<items {
            var scans: [StoredScan] = []
            for _ in 0..<(1 + random.below(9)) {
                let device = UInt32(1 + random.below(40))
                seqs[device, default: UInt64(random.below(1_000_000))] += UInt64(1 + random.below(3))
                time += Int64(random.below(7_200)) * 1000 + (millisecondDevices && device % 5 == 0 ? Int64(random.below(1000)) : 0)
                let hasLocation = random.below(3) != 0
                scans.append(
                    StoredScan(
                        scannedAt: time,
                        receivedAt: receiveTimes.map { 1_788_300_000_000 + Int64(random.below($0)) * 1_037 } ?? time + Int64(random.below(100_000)),
                        seq: seqs[device]!,
                        messenger: device + UInt32(random.below(2)), workCenter: UInt32(1 + random.below(12)), device: device,
                        reason: random.below(5) == 0 ? UInt32(1 + random.below(10)) : 0,
                        latitude: hasLocation ? Int32(40_000_000 + random.below(1_000_000)) : 0,
                        longitude: hasLocation ? Int32(-750_000_000 + random.below(1_000_000)) : 0,
                        event: Event(rawValue: UInt8(random.below(7)))!, hasLocation: hasLocation))
            }
            block.appendItem(name: InlineBytes("GU\(1_000_000 + item * 7 + random.below(5))"), scans: scans)
        }
        return block
    }

    @Test(arguments: [
        (UInt64(1), 1, false, nil), (2, 64, false, nil), (3, 64, true, nil), (4, 17, true, nil), (5, 256, true, nil),
        (6, 256, false, nil), (7, 256, false, 5), (8, 64, true, 9), (9, 256, false, 33), (10, 256, true, 200),
    ] as [(UInt64, Int, Bool, Int?)])
    func traceBlocksRoundTripRawAndSealed(seed: UInt64, items: Int, millisecondDevices: Bool, receiveTimes: Int?) throws {
        let block = Self.randomBlock(seed: seed, items: items, millisecondDevices: millisecondDevices, receiveTimes: receiveTimes)
        for zstd in [nil, Zstd()] as [Zstd?] {
            let output = ByteWriter()
            block.encode(into: output, scratch: ByteWriter(), zstd: zstd)
            var decoded = TraceBlock(number: 0)
            var scratch: [UInt8] = []
            try output.withBytes { try decoded.decode($0, number: block.number, zstd: Zstd(), scratch: &scratch) }
            #expect(decoded.names == block.names)
            #expect(decoded.starts == block.starts)
            #expect(decoded.scans == block.scans)
        }
    }

    /// A block whose scans come from hundreds of handhelds round-trips, and each handheld keeps its slot (its id and
    /// first seq written once): the encoder's device table must not lose a device as it fills.
    @Test(arguments: [127, 128, 129, 600, 1_000])
    func aBlockWithManyHandheldsRoundTrips(devices: Int) throws {
        var block = TraceBlock(number: 9)
        var time: Int64 = 1_788_274_800_000
        var seqs: [UInt32: UInt64] = [:]
        for item in 0..<256 {
            var scans: [StoredScan] = []
            for scan in 0..<10 {
                // Every device scans once before any scans again: later scans must find the slots made first.
                let device = UInt32(1 + (item * 10 + scan) % devices) &* 2_654_435_761 >> 7
                time += 1_000
                seqs[device, default: 5_000_000] += 1
                scans.append(
                    StoredScan(
                        scannedAt: time, receivedAt: 1_788_300_000_000, seq: seqs[device]!, messenger: 7, workCenter: 3,
                        device: device, reason: 0, latitude: 46_512_980, longitude: -741_303_530, event: .inTransit,
                        hasLocation: true))
            }
            block.appendItem(name: InlineBytes("GU\(1_000_000 + item)"), scans: scans)
        }
        let output = ByteWriter()
        block.encode(into: output, scratch: ByteWriter(), zstd: nil)
        var decoded = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        try output.withBytes { try decoded.decode($0, number: block.number, zstd: Zstd(), scratch: &scratch) }
        #expect(Set(decoded.scans.map(\.device)).count == devices)
        #expect(decoded.scans == block.scans)
        // Slots kept: each device's id and first seq are written once; every later scan of it costs its flags, slot,
        // a small time delta and seq delta and two zero coordinate deltas. A lost slot would write the
        // device and its seq (from zero) again.
        let firstScans = devices * (1 + 2 + 5 + 4 + 4 + 4 + 4)
        let laterScans = (2_560 - devices) * (1 + 2 + 3 + 1 + 1 + 1)
        #expect(output.count <= 256 * 4 + firstScans + laterScans + 64, "\(output.count) bytes")
    }

    /// Handhelds report six decimals (multiples of 10 in 1e-7 degrees), some fewer: each block codes its coordinates
    /// in the largest unit that divides them all, and negative ones divide the same way.
    @Test(arguments: [(Int32(1), UInt8(0)), (10, 1), (100, 2), (1_000, 3), (10_000, 3), (30, 1)])
    func coordinatesRoundTripInTheBlocksUnit(step: Int32, expectedCode: UInt8) throws {
        var block = Self.randomBlock(seed: 11, items: 64, millisecondDevices: false, receiveTimes: 12)
        for index in block.scans.indices where block.scans[index].hasLocation {
            block.scans[index].latitude = block.scans[index].latitude / step * step
            block.scans[index].longitude = block.scans[index].longitude / step * step
        }
        let output = ByteWriter()
        block.encode(into: output, scratch: ByteWriter(), zstd: nil)
        var decoded = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        try output.withBytes { bytes in
            // Format byte, checksum (4 bytes), item count (64: one byte), then the unit code.
            #expect(bytes[SealedValue.checkedHeader + 1] == expectedCode)
            try decoded.decode(bytes, number: block.number, zstd: Zstd(), scratch: &scratch)
        }
        #expect(decoded.scans == block.scans)
    }

    @Test func anEmptyBlockRoundTrips() throws {
        let output = ByteWriter()
        TraceBlock(number: 3).encode(into: output, scratch: ByteWriter(), zstd: nil)
        var decoded = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        try output.withBytes { try decoded.decode($0, number: 3, zstd: Zstd(), scratch: &scratch) }
        #expect(decoded.itemCount == 0 && decoded.scans.isEmpty)
    }

    @Test(arguments: [0, 1, 5, 40])
    func truncatedTraceBlocksAreCorruption(cut: Int) throws {
        let block = Self.randomBlock(seed: 9, items: 8, millisecondDevices: false)
        let output = ByteWriter()
        block.encode(into: output, scratch: ByteWriter(), zstd: nil)
        let bytes = output.bytes.dropLast(cut + 1)
        var decoded = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        #expect(throws: StoreCorruption.self) {
            try Array(bytes).withByteView { try decoded.decode($0, number: 1, zstd: Zstd(), scratch: &scratch) }
        }
    }

    @Test(arguments: [
        ["GU0000000001", "GU0000000002", "GU0000000001", "GU9999999999", "GU0000000000"],
        ["DOC/2026/000123", "DOC/2026/000124", "DOC/2027/000124", "GU99", "GU100", "GU101", "X", "X1", "9", "10"],
        ["A" + String(repeating: "9", count: 18), "A" + String(repeating: "0", count: 18), "A" + String(repeating: "9", count: 19), "A" + String(repeating: "9", count: 19)],
    ])
    func namesCodeAsNumericDeltasOrPrefixes(names: [String]) throws {
        let writer = ByteWriter()
        var previous = InlineBytes("")
        for name in names {
            TraceBlock.encodeName(InlineBytes(name), after: previous, into: writer)
            previous = InlineBytes(name)
        }
        let decoded = try writer.withBytes { bytes -> [String] in
            var reader = ByteReader(bytes)
            var state = NameCoding.Previous()
            return try names.map { _ in try NameCoding.decode(&reader, previous: &state).string }
        }
        #expect(decoded == names)
    }

    @Test func sequentialWaybillNumbersCostThreeBytesOrLess() {
        let writer = ByteWriter()
        TraceBlock.encodeName(InlineBytes("GU0001234600"), after: InlineBytes("GU0001234512"), into: writer)
        #expect(writer.count <= 3)
    }

    @Test func nameBlocksRoundTripAndSearch() throws {
        var block = NameBlock()
        for (index, name) in ["DOC/2026/000001", "GU0000000001", "GU0000000002", "GU0000000100", "OS0000000007", "RM1"].enumerated() {
            block.names.append(InlineBytes(name))
            block.ids.append(UInt32(index * 3 + 1))
        }
        let writer = ByteWriter()
        block.encode(into: writer)
        var decoded = NameBlock()
        try writer.withBytes { try decoded.decode($0) }
        #expect(decoded.names == block.names && decoded.ids == block.ids)
        #expect(decoded.search(InlineBytes("GU0000000100")) == (3, true))
        #expect(decoded.search(InlineBytes("GU0000000003")) == (3, false))
        #expect(decoded.search(InlineBytes("A")) == (0, false))
        #expect(decoded.search(InlineBytes("ZZ")) == (6, false))
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func seqRangesMatchASet(seed: UInt64) throws {
        var random = SplitMixForTests(seed: seed)
        var ranges = SeqRanges()
        var oracle = Set<UInt64>()
        for _ in 0..<2_000 {
            let seq = random.below(4) == 0 ? UInt64(random.below(3_000)) : (oracle.max() ?? 0) + 1
            if oracle.insert(seq).inserted { ranges.insert(seq) }
            #expect(ranges.contains(seq))
        }
        for seq in 0..<3_100 { #expect(ranges.contains(UInt64(seq)) == oracle.contains(UInt64(seq))) }
        for index in 1..<ranges.count { #expect(ranges.starts[index] > ranges.ends[index - 1] + 1) }
        let writer = ByteWriter()
        ranges.encode(into: writer)
        var decoded = SeqRanges()
        try writer.withBytes { try decoded.decode($0) }
        #expect(decoded == ranges)
    }

    @Test func seqRangesHandleTheExtremes() {
        var ranges = SeqRanges()
        ranges.insert(UInt64.max)
        ranges.insert(0)
        ranges.insert(UInt64.max - 1)
        #expect(ranges.contains(0) && ranges.contains(.max) && ranges.contains(.max - 1) && !ranges.contains(1))
        #expect(ranges.count == 2)
    }

    @Test(arguments: [UInt64(1), 2])
    func cellsRoundTripWithTheirSummaries(seed: UInt64) throws {
        var random = SplitMixForTests(seed: seed)
        let dayStart: Int64 = 1_788_238_800_000
        var people: [(messenger: UInt32, records: [CellRecord])] = []
        for messenger in [UInt32(3), 4, 90, 1_000_000] {
            var records: [CellRecord] = []
            for _ in 0..<(1 + random.below(300)) {
                let event = Event(rawValue: UInt8(random.below(7)))!
                let previous = random.below(4) == 0 ? 0 : UInt8(1 + random.below(7))
                records.append(
                    CellRecord(
                        time: dayStart + Int64(random.below(86_400)) * 1000 + Int64(seed == 2 ? random.below(1000) : 0),
                        event: event, previousEventCode: previous, previousCenter: previous == 0 ? 0 : UInt32(1 + random.below(3)),
                        reason: event == .failedAttempt || event == .returned ? UInt32(1 + random.below(4)) : 0))
            }
            people.append((messenger, records.sorted()))
        }
        let writer = ByteWriter()
        Cell.encode(people, center: 2, dayStart: dayStart, into: writer, scratch: ByteWriter())
        for wantRecords in [true, false] {
            var decoded: [(UInt32, CellSummary, [CellRecord])] = []
            try writer.withBytes { payload in
                try Cell.decode(payload, center: 2, dayStart: dayStart, wantRecords: wantRecords) { decoded.append(($0, $1, $2)) }
            }
            #expect(decoded.map(\.0) == people.map(\.messenger))
            for (person, (_, summary, records)) in zip(people, decoded) {
                if wantRecords { #expect(records == person.records) } else { #expect(records.isEmpty) }
                #expect(summary.scans == person.records.count)
                #expect(summary.perEvent == Event.allCases.map { event in person.records.filter { $0.event == event }.count })
                #expect(summary.first == person.records.first!.time && summary.last == person.records.last!.time)
                #expect(summary.reasons.map(\.failed).reduce(0, +) == person.records.filter { $0.event == .failedAttempt }.count)
            }
        }
    }

    @Test(arguments: [false, true])
    func sealedValuesRoundTrip(compressible: Bool) throws {
        let payload = ByteWriter()
        var random = SplitMixForTests(seed: 77)
        for index in 0..<5_000 { payload.byte(compressible ? UInt8(index % 7) : UInt8(truncatingIfNeeded: random.next())) }
        let output = ByteWriter()
        SealedValue.encode(payload, into: output, zstd: Zstd())
        #expect(try output.withBytes { SealedValue.isSealed($0) } == compressible)
        var scratch: [UInt8] = []
        let roundTrip = try output.withBytes { try SealedValue.withPayload($0, zstd: Zstd(), scratch: &scratch) { Array($0) } }
        #expect(roundTrip == payload.bytes)
    }

    @Test func histogramsMergeAndRoundTrip() throws {
        let stored = [HistogramCell(key: 1, bin: 5, count: 2), HistogramCell(key: 1, bin: 300, count: 1), HistogramCell(key: 4, bin: 0, count: 7)]
        let deltas = [HistogramCell(key: 1, bin: 5, count: -2), HistogramCell(key: 2, bin: 9, count: 1), HistogramCell(key: 4, bin: 0, count: 1)]
        let merged = try DurationHistograms.merge(stored, deltas)
        #expect(merged == [HistogramCell(key: 1, bin: 300, count: 1), HistogramCell(key: 2, bin: 9, count: 1), HistogramCell(key: 4, bin: 0, count: 8)])
        let writer = ByteWriter()
        DurationHistograms.encode(merged, into: writer)
        var decoded: [HistogramCell] = []
        try writer.withBytes { try DurationHistograms.decode($0, into: &decoded) }
        #expect(decoded == merged)
        #expect(throws: StoreCorruption.self) { try DurationHistograms.merge(stored, [HistogramCell(key: 9, bin: 1, count: -1)]) }
    }

    @Test func currentStatesTouchedDaysAndCountersRoundTrip() throws {
        let dayStart: Int64 = 1_788_238_800_000
        let records = [
            CurrentRecord(time: dayStart + 1000, item: 9, center: 1, messenger: 3),
            CurrentRecord(time: dayStart + 1000, item: 10, center: 2, messenger: 3),
            CurrentRecord(time: dayStart + 86_399_999, item: 2, center: 1, messenger: 1),
        ]
        let writer = ByteWriter()
        CurrentStates.encode(records, dayStart: dayStart, into: writer)
        var decoded: [CurrentRecord] = []
        try writer.withBytes { try CurrentStates.decode($0, dayStart: dayStart, into: &decoded) }
        #expect(decoded == records)

        writer.removeAll()
        let touched: [UInt64] = [0 << 8 | 1, 5 << 8 | 0x7F, 6 << 8 | 0x10, UInt64(UInt32.max) << 8 | 0x41]
        TouchedItems.encode(touched, into: writer)
        var items: [UInt64] = []
        try writer.withBytes { try TouchedItems.decode($0, into: &items) }
        #expect(items == touched)

        var counters = Counters()
        counters.nextItem = 77
        counters.nextEntity = [3, 4, 5, 6]
        counters.accepted = 1 << 40
        counters.writerToken = .max
        writer.removeAll()
        counters.encode(into: writer)
        #expect(try writer.withBytes { try Counters(decoding: $0) } == counters)
    }

    /// Every reported value is within 1/128 of every value its bin holds.
    @Test(arguments: [Int64(0), 1, 127, 128, 129, 1_000, 59_999, 3_600_000, 86_400_000, 604_800_000, 1_099_511_627_776])
    func durationBinsStayWithinTheirError(value: Int64) {
        let bin = DurationBins.bin(value)
        let (lower, upper) = DurationBins.bounds(bin)
        #expect(lower <= value && value <= upper)
        let reported = DurationBins.representative(bin)
        #expect(abs(Double(reported - value)) <= Double(value) / 128 + 0.5)
        if value > 0 { #expect(DurationBins.bin(value - 1) <= bin) }
    }
}

/// zstd against a raw-content dictionary (backup deltas): the frame restores only with the dictionary it was made
/// against, and a dictionary that zstd would parse as a trained one is refused.
@Suite("Zstd deltas")
struct ZstdDeltaTests {
    /// Random bytes: whole, they do not compress; against themselves, nearly everything is a match.
    static let base: [UInt8] = {
        var state: UInt64 = 7
        return (0..<40_000).map { _ in
            state = FastHash.mix(state &+ 1)
            return UInt8(truncatingIfNeeded: state)
        }
    }()

    @Test(arguments: [0, 1, 500])
    func aDeltaRestoresAgainstItsBase(changes: Int) throws {
        var changed = Self.base
        for index in 0..<changes { changed[(index * 977) % changed.count] ^= 0x5A }
        changed += Array("appended".utf8)
        let zstd = Zstd()
        let whole = ByteWriter()
        changed.withByteView { _ = zstd.compress($0, appendingTo: whole) }
        let delta = ByteWriter()
        Self.base.withByteView { dictionary in changed.withByteView { _ = zstd.compress($0, dictionary: dictionary, appendingTo: delta) } }
        #expect(delta.count * 4 < whole.count, "delta \(delta.count) bytes, whole \(whole.count)")
        var restored: [UInt8] = []
        try delta.bytes.withByteView { frame in
            try Self.base.withByteView { try zstd.decompress(frame, rawLength: changed.count, dictionary: $0, into: &restored) }
        }
        #expect(restored == changed)
        // Against another base the frame does not give the same bytes back.
        let other = Self.base.map { $0 &+ 1 }
        var wrong: [UInt8] = []
        try? delta.bytes.withByteView { frame in
            try other.withByteView { try zstd.decompress(frame, rawLength: changed.count, dictionary: $0, into: &wrong) }
        }
        #expect(wrong != changed)
    }

    @Test func aBaseThatLooksLikeATrainedDictionaryIsRefused() {
        let magic: [UInt8] = [0x37, 0xA4, 0x30, 0xEC] + Array(repeating: 1, count: 100)
        let zstd = Zstd()
        let frame = ByteWriter()
        [UInt8](repeating: 2, count: 100).withByteView { _ = zstd.compress($0, appendingTo: frame) }
        var output: [UInt8] = []
        #expect(throws: StoreCorruption.self) {
            try frame.bytes.withByteView { bytes in
                try magic.withByteView { try zstd.decompress(bytes, rawLength: 100, dictionary: $0, into: &output) }
            }
        }
    }
}
