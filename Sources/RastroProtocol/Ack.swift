import RastroCore
import RastroPrimitives

/// The outcome of one batch, sent once its accepted scans are durably committed (server → client),
/// docs/protocol.md §5:
///
/// ```
/// ack     := batchNumber: varint | accepted: varint | duplicates: varint | conflicts: varint | rejected: varint
///            | problems: varint | problem × problems
/// problem := index: varint | code: u8 | field: u8 (0: none, else 1 + field) | messageLength: varint | message
/// ```
/// `accepted + duplicates + conflicts + rejected` is the batch's scan count; every scan not accepted or duplicate has
/// one problem. A resent batch (same session and number) gets the same ack again.
public struct Ack: Sendable, Equatable {
    public struct Problem: Sendable, Equatable {
        public var index: Int
        public var code: ScanProblemCode
        public var field: ScanField?
        public var message: String

        public init(index: Int, code: ScanProblemCode, field: ScanField?, message: String) {
            self.index = index
            self.code = code
            self.field = field
            self.message = message
        }
    }

    public var batch: UInt64
    public var accepted: Int
    public var duplicates: Int
    public var conflicts: Int
    public var rejected: Int
    public var problems: [Problem]

    public init(batch: UInt64, accepted: Int = 0, duplicates: Int = 0, conflicts: Int = 0, rejected: Int = 0, problems: [Problem] = []) {
        self.batch = batch
        self.accepted = accepted
        self.duplicates = duplicates
        self.conflicts = conflicts
        self.rejected = rejected
        self.problems = problems
    }

    public var scans: Int { accepted + duplicates + conflicts + rejected }

    public func encode(into writer: ByteWriter) {
        writer.varint(batch)
        writer.varint(accepted)
        writer.varint(duplicates)
        writer.varint(conflicts)
        writer.varint(rejected)
        writer.varint(problems.count)
        for problem in problems {
            writer.varint(problem.index)
            writer.byte(problem.code.rawValue)
            writer.byte(problem.field.map { UInt8($0.rawValue + 1) } ?? 0)
            let message = Array(problem.message.utf8)
            writer.varint(message.count)
            writer.append(message)
        }
    }

    public func encode() -> [UInt8] {
        let writer = ByteWriter(reservingCapacity: 32 + problems.count * 64)
        encode(into: writer)
        return writer.bytes
    }

    public static func decode(_ payload: ByteView) throws(ProtocolError) -> Ack {
        var reader = ByteReader(payload)
        do throws(CorruptBytes) {
            // Each count is bounded so that their sum (``scans``) cannot overflow: a batch holds far fewer.
            let most = Int(UInt32.max)
            var ack = Ack(
                batch: try reader.varint(), accepted: try reader.count(maximum: most),
                duplicates: try reader.count(maximum: most), conflicts: try reader.count(maximum: most),
                rejected: try reader.count(maximum: most))
            let count = try reader.count(maximum: ack.scans)
            for _ in 0..<count {
                let index = try reader.count(maximum: Int.max)
                guard let code = ScanProblemCode(rawValue: try reader.byte()) else { throw CorruptBytes("unknown problem code") }
                let fieldByte = try reader.byte()
                let field = fieldByte == 0 ? nil : ScanField(rawValue: Int(fieldByte) - 1)
                let message = String(decoding: try reader.slice(try reader.count(maximum: reader.remaining)), as: UTF8.self)
                ack.problems.append(Problem(index: index, code: code, field: field, message: message))
            }
            guard reader.isAtEnd else { throw CorruptBytes("trailing bytes") }
            return ack
        } catch {
            throw ProtocolError(.malformedFrame, "ack: \(error.message)")
        }
    }
}
