import RastroCore
import RastroProtocol
import RastroStore

/// Turns the store's report on the scans it received into the ack of the whole frame: the decoder's rejections
/// and the device check come first, and the store's problems are mapped back to their index in the frame.
struct AckBuilder: Sendable {
    var batch: UInt64
    /// Problems decided before the store, by frame index.
    var early: [Ack.Problem]
    /// For each scan handed to the store, its index in the frame.
    var sources: [UInt32]

    func ack(_ report: IngestReport) -> Ack {
        var problems = early
        for problem in report.problems {
            problems.append(
                Ack.Problem(
                    index: Int(sources[problem.index]), code: problem.kind == .conflict ? .conflict : .rejected,
                    field: problem.field, message: problem.message))
        }
        problems.sort { $0.index < $1.index }
        return Ack(
            batch: batch, accepted: report.accepted, duplicates: report.duplicates, conflicts: report.conflicts,
            rejected: report.rejected + early.count, problems: problems)
    }
}

/// The scans of a batch a token may not send (a device token sending another device's scans), as problems, with
/// the batch reduced to the allowed ones.
func enforceDevice(_ token: TokenRecord, on batch: inout ScanBatch) -> [(index: Int, message: String)] {
    guard token.kind == .device else { return [] }
    let own = InlineBytes(token.subject)
    var refused: [(index: Int, message: String)] = []
    var allowed = ScanBatch()
    for scan in batch.scans {
        if batch.inline(scan.device) == own {
            allowed.scans.append(scan)
        } else {
            refused.append((Int(scan.source), "token \(token.id) may only send scans of device \(token.subject), not \(batch.string(scan.device))"))
        }
    }
    guard !refused.isEmpty else { return [] }
    allowed.bytes = batch.bytes
    batch = allowed
    return refused
}
