import RastroCore
import RastroPrimitives
import RastroProtocol
import RastroTestSupport
import Testing

@Suite("Binary protocol")
struct ProtocolTests {
    @Test func crc32cMatchesTheStandardCheckValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let split = long.withByteView { CRC32C.checksum($0.part(from: 500), continuing: CRC32C.checksum($0.prefix(upTo: 500))) }
        #expect(split == CRC32C.checksum(long))
    }

    func parse(_ bytes: [UInt8], maximum: Int = 1 << 20) throws(ProtocolError) -> Frame.Parsed {
        var result: Result<Frame.Parsed, ProtocolError> = .success(.needMore)
        bytes.withByteView { buffer in
            do throws(ProtocolError) { result = .success(try Frame.parse(buffer, maximumBytes: maximum)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    @Test func framesRoundTripAndWaitForTheirLastByte() throws {
        let frame = Frame.encode(.ack, payload: [1, 2, 3])
        #expect(frame == [0, 0, 0, 4, 0x11, 1, 2, 3] + withUnsafeBytes(of: CRC32C.checksum([0x11, 1, 2, 3]).bigEndian) { Array($0) })
        #expect(try parse(frame) == .frame(type: .ack, payload: 5..<8, length: 12))
        for cut in 0..<frame.count { #expect(try parse(Array(frame.prefix(cut))) == .needMore) }
        #expect(try parse(frame + [9, 9]) == .frame(type: .ack, payload: 5..<8, length: 12))
    }

    @Test(arguments: [
        ("bad checksum", ProtocolErrorCode.badChecksum),
        ("oversize", .frameTooLarge),
        ("zero length", .malformedFrame),
        ("unknown type", .malformedFrame),
    ])
    func badFramesAreRefusedWithTheirReason(kind: String, code: ProtocolErrorCode) {
        var frame = Frame.encode(.batch, payload: Array(repeating: 7, count: 100))
        switch kind {
        case "bad checksum": frame[20] ^= 1
        case "oversize": break
        case "zero length": frame = [0, 0, 0, 0]
        default: frame = Frame.encode(.batch, payload: []).enumerated().map { $0.offset == 4 ? 0x42 : $0.element }
        }
        if kind == "unknown type" {
            // Recompute the checksum so only the type is wrong.
            let body = Array(frame[4..<5])
            frame = Array(frame[0..<5]) + withUnsafeBytes(of: CRC32C.checksum(body).bigEndian) { Array($0) }
        }
        #expect {
            _ = try parse(frame, maximum: kind == "oversize" ? 50 : 1 << 20)
        } throws: { error in
            (error as? ProtocolError)?.code == code
        }
    }

    @Test func helloRoundTripsAndRefusesStrangersAndOtherVersions() throws {
        let hello = Hello(session: 0x0102_0304_0506_0708, token: "rst_abc", client: "test")
        let decoded = try hello.encode().withByteView { try Hello.decode($0) }
        #expect(decoded == hello)
        var wrongVersion = hello.encode()
        wrongVersion[4] = 9
        #expect { try wrongVersion.withByteView { try Hello.decode($0) } } throws: { ($0 as? ProtocolError)?.code == .unsupportedVersion }
        #expect { try Array("GET / HTTP/1.1".utf8).withByteView { try Hello.decode($0) } } throws: { ($0 as? ProtocolError)?.code == .notRastro }
        #expect { try Array(hello.encode().dropLast(3)).withByteView { try Hello.decode($0) } } throws: { ($0 as? ProtocolError)?.code == .malformedFrame }
        let welcome = Welcome(maximumFrameBytes: 4 << 20, maximumScansPerBatch: 10_000)
        #expect(try welcome.encode().withByteView { try Welcome.decode($0) } == welcome)
        let error = ProtocolError(.unauthorized, "unknown or revoked token")
        #expect(try ErrorFrame.encode(error).withByteView { try ErrorFrame.decode($0) } == error)
    }

    static func validator() -> ScanValidator {
        ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)
    }

    /// Encodes scans on one connection and decodes them on the other side's.
    static func roundTrip(_ batches: [ScanBatch]) throws -> [(ScanBatch, [BatchDecoder.Rejection], UInt64)] {
        var encoder = BatchEncoder()
        var decoder = BatchDecoder(validator: validator(), maximumScans: 10_000)
        var results: [(ScanBatch, [BatchDecoder.Rejection], UInt64)] = []
        for (number, batch) in batches.enumerated() {
            let writer = ByteWriter()
            encoder.encode(batch, 0..<batch.count, number: UInt64(number + 1), into: writer)
            var decoded = ScanBatch()
            var rejections: [BatchDecoder.Rejection] = []
            let got = try writer.withBytes { try decoder.decode($0, receivedAt: StreamFixtures.receivedAt, into: &decoded, rejections: &rejections) }
            results.append((decoded, rejections, got))
        }
        return results
    }

    @Test func generatedBatchesRoundTripOnOneConnection() throws {
        let rows = StreamFixtures.generated(scans: 3_000, seed: 8).clean
        let first = StreamFixtures.batch(Array(rows[0..<1_500]))
        let second = StreamFixtures.batch(Array(rows[1_500...]))
        let results = try Self.roundTrip([first, second])
        let originals: [ScanBatch] = [first, second]
        for (position, result) in results.enumerated() {
            let (decoded, rejections, number) = result
            let original = originals[position]
            #expect(number == UInt64(position + 1))
            #expect(rejections.isEmpty)
            #expect(decoded.count == original.count)
            #expect(Self.describe(decoded) == Self.describe(original))
        }
    }

    /// Every field of every scan, as text.
    static func describe(_ batch: ScanBatch) -> [String] {
        batch.scans.map { scan in
            let identifiers = [batch.string(scan.trackingID), batch.string(scan.messenger), batch.string(scan.workCenter), batch.string(scan.device), batch.string(scan.reason)]
            let values = "\(scan.event) \(scan.scannedAt) \(scan.seq) \(scan.hasLocation) \(scan.latitude) \(scan.longitude)"
            return identifiers.joined(separator: "|") + " " + values
        }
    }

    @Test func invalidScansAreRejectedOneByOneAndTheirNeighboursKept() throws {
        var batch = ScanBatch()
        let t = StreamFixtures.receivedAt - 86_400_000
        batch.append(trackingID: "GU1", event: .delivered, scannedAt: t, messenger: "M", workCenter: "C", device: "D", seq: 1)
        batch.append(trackingID: "GU 2", event: .delivered, scannedAt: t, messenger: "M", workCenter: "C", device: "D", seq: 2)
        batch.append(trackingID: "GU3", event: .failedAttempt, scannedAt: t, messenger: "M", workCenter: "C", device: "D", seq: 3)
        batch.append(trackingID: "GU4", event: .delivered, scannedAt: 1_000, messenger: "M", workCenter: "C", device: "D", seq: 4)
        batch.append(trackingID: "GU5", event: .delivered, scannedAt: t, messenger: String(repeating: "M", count: 33), workCenter: "C", device: "D", seq: 5)
        batch.append(trackingID: "GU6", event: .delivered, scannedAt: t, messenger: "M", workCenter: "C", device: "D", seq: 6, latitude: 950_000_000, longitude: 0)
        batch.append(trackingID: "GU7", event: .delivered, scannedAt: t, messenger: "M", workCenter: "C", device: "D", seq: 7)
        let (decoded, rejections, _) = try Self.roundTrip([batch])[0]
        #expect(decoded.scans.map(\.source) == [0, 6])
        #expect(rejections.map(\.index) == [1, 2, 3, 4, 5])
        #expect(rejections.map(\.field) == [.trackingID, .reason, .scannedAt, .messenger, .latitude])
        #expect(rejections[0].message.contains("contains ' '"))
    }

    /// A dictionary string is checked once, when it is defined, and copied into each frame's batch once: every scan
    /// naming a bad one is still rejected for that field, in the frame that defines it and in later frames, and every
    /// scan naming a good one gets its bytes.
    @Test func dictionaryStringsAreCheckedOnceAndSharedWithinAFrame() throws {
        let t = StreamFixtures.receivedAt - 86_400_000
        func frame(_ first: UInt64) -> ScanBatch {
            var batch = ScanBatch()
            for seq in first..<first + 4 {
                batch.append(
                    trackingID: "GU\(seq)", event: .delivered, scannedAt: t, messenger: seq % 2 == 0 ? "M X" : "M",
                    workCenter: "BOG-CEN", device: "HH-1", seq: seq)
            }
            return batch
        }
        let results = try Self.roundTrip([frame(1), frame(5), frame(9)])
        for (position, (decoded, rejections, _)) in results.enumerated() {
            #expect(decoded.scans.map(\.source) == [0, 2], "frame \(position)")
            #expect(rejections.map(\.index) == [1, 3])
            #expect(rejections.map(\.field) == [.messenger, .messenger])
            #expect(rejections.allSatisfy { $0.message.contains("contains ' '") })
            let first = UInt64(position * 4 + 1)
            #expect(Self.describe(decoded) == Self.describe(frame(first)).enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
            // Both scans point at one copy of each shared string.
            #expect(decoded.scans[0].workCenter == decoded.scans[1].workCenter)
            #expect(decoded.scans[0].device == decoded.scans[1].device)
        }
    }

    /// Dictionary strings longer than any identifier can be held are kept as markers; the scan naming one is rejected
    /// for that field and its neighbours are kept. (Written by hand: `BatchEncoder` is only given validated scans.)
    @Test(arguments: [ScanField.messenger, .workCenter, .device, .reason])
    func aDictionaryStringTooLongToHoldRejectsItsScan(field: ScanField) throws {
        let payload = ByteWriter()
        var defined = 0
        func reference(_ text: String, known: Int?) {
            if let known { return payload.varint(known) }
            payload.varint(defined)
            payload.byte(UInt8(text.utf8.count))
            payload.append(Array(text.utf8))
            defined += 1
        }
        payload.varint(1)  // batch number
        payload.varint(3)  // scans
        payload.zigzag(StreamFixtures.receivedAt - 86_400_000)
        let long = String(repeating: "X", count: 41)
        for (index, tracking) in ["GU1", "GU2", "GU3"].enumerated() {
            let odd = index == 1
            payload.byte(1)  // has a reason
            payload.byte(Event.failedAttempt.rawValue)
            payload.byte(index == 0 ? 0 : 2)
            payload.byte(index == 0 ? 3 : 1)
            payload.append(Array((index == 0 ? tracking : String(tracking.suffix(1))).utf8))
            payload.zigzag(0)
            // The first scan defines M, C, D and CERRADO as entries 0–3; the second defines the long string instead
            // of one of them.
            for (entry, (text, of)) in [("M", ScanField.messenger), ("C", .workCenter), ("D", .device)].enumerated() {
                reference(odd && field == of ? long : text, known: index == 0 || (odd && field == of) ? nil : entry)
            }
            payload.zigzag(0)
            reference(odd && field == .reason ? long : "CERRADO", known: index == 0 || (odd && field == .reason) ? nil : 3)
        }
        var decoder = BatchDecoder(validator: Self.validator(), maximumScans: 10_000)
        var decoded = ScanBatch()
        var rejections: [BatchDecoder.Rejection] = []
        _ = try payload.withBytes { try decoder.decode($0, receivedAt: StreamFixtures.receivedAt, into: &decoded, rejections: &rejections) }
        #expect(decoded.scans.map(\.source) == [0, 2])
        #expect(rejections.map(\.index) == [1])
        #expect(rejections.map(\.field) == [field])
        #expect(rejections.first?.message == "is longer than \(Self.validator().limits.identifierBytes) bytes")
    }

    @Test func brokenBatchEncodingsAreProtocolErrors() throws {
        var batch = ScanBatch()
        batch.append(trackingID: "GU1", event: .delivered, scannedAt: StreamFixtures.receivedAt, messenger: "M", workCenter: "C", device: "D", seq: 1)
        let writer = ByteWriter()
        var encoder = BatchEncoder()
        encoder.encode(batch, 0..<1, number: 5, into: writer)
        let bytes = writer.bytes
        func decode(_ payload: [UInt8], maximumScans: Int = 100) throws {
            var decoder = BatchDecoder(validator: Self.validator(), maximumScans: maximumScans)
            var out = ScanBatch()
            var rejections: [BatchDecoder.Rejection] = []
            _ = try payload.withByteView { try decoder.decode($0, receivedAt: StreamFixtures.receivedAt, into: &out, rejections: &rejections) }
        }
        #expect { try decode(Array(bytes.dropLast(2))) } throws: {
            ($0 as? ProtocolError)?.code == .malformedFrame && "\($0)".contains("batch 5, scan 0")
        }
        #expect { try decode(bytes + [0]) } throws: { ($0 as? ProtocolError)?.code == .malformedFrame }
        #expect { try decode(bytes, maximumScans: 0) } throws: { ($0 as? ProtocolError)?.code == .limitExceeded }
        // A reference to a dictionary entry that was never defined.
        var undefined = bytes
        // The messenger reference follows the tracking id's suffix "GU1" and the one-byte time delta.
        let suffix = try #require((0..<bytes.count - 2).first { bytes[$0] == 0x47 && bytes[$0 + 1] == 0x55 && bytes[$0 + 2] == 0x31 })
        let messengerReference = suffix + 3 + 1
        #expect(undefined[messengerReference] == 0)
        undefined[messengerReference] = 9
        #expect { try decode(undefined) } throws: { ($0 as? ProtocolError)?.code == .malformedFrame }
    }

    @Test func acksRoundTrip() throws {
        let ack = Ack(
            batch: 77, accepted: 10, duplicates: 2, conflicts: 1, rejected: 1,
            problems: [
                Ack.Problem(index: 3, code: .conflict, field: .event, message: "device D seq 9 is already stored with a different event"),
                Ack.Problem(index: 12, code: .invalid, field: nil, message: "ñandú"),
            ])
        #expect(try ack.encode().withByteView { try Ack.decode($0) } == ack)
    }
}
