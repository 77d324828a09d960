import Foundation
import RastroCore
import RastroPrimitives
import RastroProtocol
import Testing

/// docs/protocol.md §7 is the reference a client in another language is written from: every frame it shows must be
/// exactly what the encoder produces, and must decode to the scans the text describes.
@Suite("docs/protocol.md worked example")
struct ProtocolDocumentTests {
    static let document: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/protocol.md"), encoding: .utf8)) ?? ""
    }()

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }

    /// The three scans of the example.
    static func scans() -> ScanBatch {
        var batch = ScanBatch()
        batch.append(
            trackingID: "GU0001000161", event: .pickedUp, scannedAt: 1_788_267_283_000, messenger: "MSG-7", workCenter: "BOG-NOR",
            device: "HH-7", seq: 19_090, latitude: 47_491_460, longitude: -741_007_500)
        batch.append(
            trackingID: "GU0001000162", event: .failedAttempt, scannedAt: 1_788_267_352_000, messenger: "MSG-7", workCenter: "BOG-NOR",
            device: "HH-7", seq: 19_091, reason: "CERRADO")
        batch.append(
            trackingID: "GU0001000170", event: .returned, scannedAt: 1_788_268_000_000, messenger: "MSG-7", workCenter: "BOG-NOR",
            device: "HH-7", seq: 19_092, reason: "PERDIDO")
        return batch
    }

    /// The session's frames in order, named as in the document.
    static func frames() -> [(name: String, bytes: [UInt8])] {
        let batch = scans()
        var encoder = BatchEncoder()
        let first = ByteWriter()
        encoder.encode(batch, 0..<2, number: 1, into: first)
        let second = ByteWriter()
        encoder.encode(batch, 1..<3, number: 2, into: second)
        var reconnected = BatchEncoder()
        let resent = ByteWriter()
        reconnected.encode(batch, 1..<3, number: 2, into: resent)
        let ackProblem = Ack.Problem(index: 1, code: .invalid, field: .reason, message: "'PERDIDO' is not in the reason catalog")
        return [
            ("hello", Frame.encode(.hello, payload: Hello(session: 0x1A2B_3C4D_5E6F_7081, token: "rst_5c0f", client: "hh").encode())),
            ("welcome", Frame.encode(.welcome, payload: Welcome(maximumFrameBytes: 4 << 20, maximumScansPerBatch: 10_000).encode())),
            ("batch 1", Frame.encode(.batch, payload: first.bytes)),
            ("ack 1", Frame.encode(.ack, payload: Ack(batch: 1, accepted: 2).encode())),
            ("batch 2", Frame.encode(.batch, payload: second.bytes)),
            ("ack 2", Frame.encode(.ack, payload: Ack(batch: 2, duplicates: 1, rejected: 1, problems: [ackProblem]).encode())),
            ("batch 2 after reconnecting", Frame.encode(.batch, payload: resent.bytes)),
            ("error", Frame.encode(.error, payload: ErrorFrame.encode(ProtocolError(.unauthorized, "unknown token")))),
        ]
    }

    @Test func everyFrameOfTheDocumentIsWhatTheEncoderWrites() {
        #expect(!Self.document.isEmpty, "docs/protocol.md not found")
        for frame in Self.frames() {
            #expect(Self.document.contains("\n" + Self.hex(frame.bytes) + "\n"), "\(frame.name): \(Self.hex(frame.bytes))")
        }
    }

    @Test func theDocumentsBatchesDecodeToTheScansItDescribes() throws {
        let validator = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)
        let frames = Self.frames()
        let expected = ProtocolTests.describe(Self.scans())
        // One connection reads batches 1 and 2; a new connection reads the re-encoded batch 2.
        var decoder = BatchDecoder(validator: validator, maximumScans: 10_000)
        var results: [[String]] = []
        for (name, expectedRange) in [("batch 1", 0..<2), ("batch 2", 1..<3), ("batch 2 after reconnecting", 1..<3)] {
            if name == "batch 2 after reconnecting" { decoder = BatchDecoder(validator: validator, maximumScans: 10_000) }
            let bytes = try #require(frames.first { $0.name == name }).bytes
            var decoded = ScanBatch()
            var rejections: [BatchDecoder.Rejection] = []
            try bytes.withByteView { buffer in
                guard case .frame(.batch, let payload, bytes.count) = try Frame.parse(buffer, maximumBytes: 1 << 20) else {
                    Issue.record("\(name) is not one whole batch frame")
                    return
                }
                _ = try decoder.decode(
                    buffer.part(payload), receivedAt: 1_788_268_000_000, into: &decoded, rejections: &rejections)
            }
            #expect(rejections.isEmpty)
            results.append(ProtocolTests.describe(decoded))
            #expect(ProtocolTests.describe(decoded) == Array(expected[expectedRange]), "\(name)")
        }
        #expect(results[1] == results[2])
    }

    @Test func theDocumentsAckAndErrorDecodeToWhatItSays() throws {
        let frames = Self.frames()
        let ack = try #require(frames.first { $0.name == "ack 2" }).bytes
        let decoded = try ack.withByteView { buffer in try Ack.decode(buffer.part(5..<(buffer.count - 4))) }
        #expect(decoded.duplicates == 1 && decoded.rejected == 1 && decoded.problems.first?.field == .reason)
        let error = try #require(frames.first { $0.name == "error" }).bytes
        let refusal = try error.withByteView { buffer in try ErrorFrame.decode(buffer.part(5..<(buffer.count - 4))) }
        #expect(refusal.code == .unauthorized && refusal.message == "unknown token")
    }
}
