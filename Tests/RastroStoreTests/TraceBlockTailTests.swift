import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// Tails (docs/storage.md §5.1): a hot block's later scans appended to its stored value decode to the block the
/// writer holds, every malformed tail is corruption naming what is wrong, and the writer appends them.
@Suite("Trace block tails")
struct TraceBlockTailTests {
    static let hour: Int64 = 3_600_000

    /// New scans for some of `block`'s items and for `newItems` items after them, at whole hours so that times tie
    /// with stored ones.
    static func randomTail(_ random: inout SplitMixForTests, after block: TraceBlock, newItems: Int) -> (TraceBlock, [Int]) {
        var tail = TraceBlock(number: block.number)
        var positions: [Int] = []
        let base = block.scans.first?.scannedAt ?? 1_788_274_800_000
        for position in 0..<(block.itemCount + newItems) where position >= block.itemCount || random.below(4) == 0 {
            var scans: [StoredScan] = []
            var time = base + Int64(random.below(48)) * hour
            for _ in 0..<(1 + random.below(3)) {
                let device = UInt32(1 + random.below(40))
                scans.append(
                    StoredScan(
                        scannedAt: time, receivedAt: 1_788_400_000_000, seq: UInt64(1 + random.below(1 << 30)),
                        messenger: device, workCenter: UInt32(1 + random.below(12)), device: device, reason: 0,
                        latitude: 0, longitude: 0, event: Event(rawValue: UInt8(random.below(7)))!, hasLocation: false))
                time += Int64(random.below(3)) * hour
            }
            positions.append(position)
            let name = position < block.itemCount ? block.names[position] : InlineBytes("NEW\(position)")
            tail.appendItem(name: name, scans: scans)
        }
        return (tail, positions)
    }

    /// The writer's timeline order, computed another way: stored scans then new ones, sorted by time, ties kept in
    /// that order.
    static func merged(_ block: TraceBlock, _ tail: TraceBlock, _ positions: [Int]) -> TraceBlock {
        var result = TraceBlock(number: block.number)
        for position in 0..<max(block.itemCount, positions.last! + 1) {
            var scans = position < block.itemCount ? Array(block.timeline(position)) : []
            var name = position < block.itemCount ? block.names[position] : InlineBytes("")
            if let index = positions.firstIndex(of: position) {
                scans += tail.timeline(index)
                name = tail.names[index]
            }
            let ordered = scans.indices.sorted { (scans[$0].scannedAt, $0) < (scans[$1].scannedAt, $1) }.map { scans[$0] }
            result.appendItem(name: name, scans: ordered)
        }
        return result
    }

    static func decode(_ writer: ByteWriter) throws -> TraceBlock {
        var decoded = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        try Array(writer.bytes).withByteView { try decoded.decode($0, number: 7, zstd: Zstd(), scratch: &scratch) }
        return decoded
    }

    @Test(arguments: [(UInt64(1), 1, false), (2, 2, false), (3, 3, true), (4, TraceBlock.maximumTails, false), (5, 4, true)])
    func tailsDecodeToTheMergedBlock(seed: UInt64, tails: Int, sealed: Bool) throws {
        var random = SplitMixForTests(seed: seed)
        var expected = FormatTests.randomBlock(seed: seed, items: 200, millisecondDevices: false)
        let stored = ByteWriter()
        if sealed {
            // Sealed whatever the saving (random scans hardly compress, so the store would keep them raw).
            let payload = ByteWriter()
            expected.encodePayload(into: payload)
            SealedValue.encodeSealed(payload, into: stored, zstd: Zstd())
        } else {
            expected.encode(into: stored, scratch: ByteWriter(), zstd: nil)
        }
        #expect(stored.withBytes { TraceBlock.isSealed($0) } == sealed)
        for index in 0..<tails {
            let (tail, positions) = Self.randomTail(&random, after: expected, newItems: index == 1 ? 3 : 0)
            let output = ByteWriter()
            let appended = stored.withBytes { TraceBlock.appendTail(tail, positions: positions, to: $0, cold: false, scratch: ByteWriter(), into: output) }
            #expect(appended)
            stored.removeAll()
            output.withBytes { stored.append($0) }
            expected = Self.merged(expected, tail, positions)
            let envelope = try #require(stored.withBytes { TraceBlock.envelope(of: $0) })
            #expect(envelope.tails == index + 1)
            let decoded = try Self.decode(stored)
            #expect(decoded.names == expected.names)
            #expect(decoded.starts == expected.starts)
            #expect(decoded.scans == expected.scans)
        }
    }

    @Test func theEnvelopeRefusesFullAndOversizedTails() throws {
        var random = SplitMixForTests(seed: 11)
        let block = FormatTests.randomBlock(seed: 11, items: 200, millisecondDevices: false)
        let (tail, positions) = Self.randomTail(&random, after: block, newItems: 0)
        // A tail larger than the base compacts instead.
        let small = ByteWriter()
        TraceBlock(number: 7).encode(into: small, scratch: ByteWriter(), zstd: nil)
        #expect(!small.withBytes { TraceBlock.appendTail(tail, positions: positions, to: $0, cold: false, scratch: ByteWriter(), into: ByteWriter()) })
        // So does a block that already carries the most tails.
        var stored = ByteWriter()
        block.encode(into: stored, scratch: ByteWriter(), zstd: nil)
        var one = TraceBlock(number: block.number)
        one.appendItem(name: block.names[0], scans: [block.scans[0]])
        for _ in 0..<TraceBlock.maximumTails {
            let output = ByteWriter()
            #expect(stored.withBytes { TraceBlock.appendTail(one, positions: [0], to: $0, cold: false, scratch: ByteWriter(), into: output) })
            stored = output
        }
        #expect(!stored.withBytes { TraceBlock.appendTail(one, positions: [0], to: $0, cold: false, scratch: ByteWriter(), into: ByteWriter()) })
    }

    /// A tail whose first item is `name` at `position`, appended to a 4-item block.
    static func tailed(name: String, position: Int) -> ByteWriter {
        var block = TraceBlock(number: 7)
        for item in 0..<4 {
            block.appendItem(name: InlineBytes("GU\(item)"), scans: FormatTests.randomBlock(seed: 3, items: 1, millisecondDevices: false).scans)
        }
        let stored = ByteWriter()
        block.encode(into: stored, scratch: ByteWriter(), zstd: nil)
        var tail = TraceBlock(number: 7)
        tail.appendItem(name: InlineBytes(name), scans: [block.scans[0]])
        let scratch = ByteWriter()
        scratch.varint(1)
        scratch.varint(position)
        tail.encodePayload(into: scratch)
        // Schema 3's format: tails without checksums, still read.
        let output = ByteWriter()
        output.byte(TraceBlock.uncheckedTailedFormat)
        output.varint(stored.count)
        stored.withBytes { output.append($0) }
        output.varint(scratch.count)
        scratch.withBytes { output.append($0) }
        return output
    }

    @Test(arguments: [
        ("GU1", 1, nil),
        ("GU4", 4, nil),
        ("GU2", 1, "tail 0 names item 1 GU2, not GU1"),
        ("GU5", 5, "tail 0 skips item 4"),
    ] as [(String, Int, String?)])
    func malformedTailsAreCorruption(name: String, position: Int, problem: String?) throws {
        let value = Self.tailed(name: name, position: position)
        guard let problem else {
            #expect(try Self.decode(value).names.count == max(4, position + 1))
            return
        }
        let error = try #require(throws: StoreCorruption.self) { try Self.decode(value) }
        #expect(error.message == "trace block 7: \(problem)")
    }

    @Test(arguments: [1, 2, 5])
    func truncatedTailsAreCorruption(cut: Int) throws {
        let value = Self.tailed(name: "GU1", position: 1)
        let bytes = Array(value.bytes.dropLast(cut))
        var decoded = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        #expect(throws: StoreCorruption.self) {
            try bytes.withByteView { try decoded.decode($0, number: 7, zstd: Zstd(), scratch: &scratch) }
        }
    }

    /// Three commits touch the same hot block: the second and third append tails, and what is read back is every scan
    /// in timeline order.
    @Test func theWriterAppendsTailsToHotBlocks() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        let start = StoreSmokeTests.t0
        var seq: UInt64 = 0
        func batch(_ events: [Event], hours: Int64) -> ScanBatch {
            var batch = ScanBatch(reservingScans: 256)
            for item in 0..<200 {
                for event in events {
                    seq += 1
                    batch.append(
                        trackingID: "GU\(1_000_000 + item)", event: event, scannedAt: start + hours * Self.hour + Int64(item) * 1_000,
                        messenger: "M\(item % 7)", workCenter: "C1", device: "D\(item % 7)", seq: seq, receivedAt: start)
                }
            }
            return batch
        }
        _ = try store.ingest(batch([.pickedUp, .received, .inTransit, .received], hours: 0))
        for (commit, hours) in [(1, Int64(5)), (2, 1)] {
            // The second commit's scans are later than the stored ones; the third's fall between them.
            let report = try store.ingest(batch([.inTransit], hours: hours))
            #expect(report.accepted == 200)
            let tails = try store.read { reader in
                try reader.transaction.withValue(reader.databases.items, Key.uint32(0)) { TraceBlock.envelope(of: $0)?.tails }
            }
            #expect(tails == commit)
        }
        let trace = try store.read { try $0.trace("GU1000003") }
        #expect(trace?.map(\.event) == [.pickedUp, .received, .inTransit, .received, .inTransit, .inTransit])
        #expect(trace?.map(\.scannedAt) == [0, 0, 0, 0, 1, 5].map { start + $0 * Self.hour + 3_000 })
        #expect(store.phases.tailsAppended == 2 && store.phases.scansInTails == 400)
    }
}
