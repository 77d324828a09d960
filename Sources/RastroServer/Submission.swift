import RastroCSV
import RastroCore
import RastroPrimitives
import RastroProtocol
import RastroStore

/// A problem with one scan of a submission, where its sender can find it: the scan's index in its frame (binary) or
/// its line (CSV lines, HTTP), which is the scan's ``Scan/source``.
struct SubmissionProblem: Sendable, Equatable {
    var source: Int
    var code: ScanProblemCode
    /// The field at fault; `nil` for the record as a whole.
    var field: ScanField?
    var message: String

    /// The field's column name, or `row`.
    var fieldName: String { field?.name ?? "row" }

    /// The message as the text protocols print it: a store's refusal says which (`conflict: …`, `rejected: …`).
    var text: String {
        switch code {
        case .conflict: "conflict: \(message)"
        case .rejected: "rejected: \(message)"
        default: message
        }
    }
}

extension SubmissionProblem {
    /// A record the CSV reader refused, at its line.
    init(rejection: CSVRejection) {
        self.init(source: rejection.line, code: .invalid, field: ScanField(name: rejection.field), message: rejection.reason)
    }
}

/// What became of a whole submission: counts over all its scans, whether refused before the store or by it, and
/// every problem in source order.
struct SubmissionOutcome: Sendable, Equatable {
    var accepted = 0
    var duplicates = 0
    var conflicts = 0
    var rejected = 0
    var problems: [SubmissionProblem] = []

    /// The outcome of a batch whose scans came from `sources`, given the problems found before the store.
    init(report: IngestReport, early: [SubmissionProblem], sources: [UInt32]) {
        accepted = report.accepted
        duplicates = report.duplicates
        conflicts = report.conflicts
        rejected = report.rejected + early.count
        problems = early
        for problem in report.problems {
            problems.append(
                SubmissionProblem(
                    source: Int(sources[problem.index]), code: problem.kind == .conflict ? .conflict : .rejected,
                    field: problem.field, message: problem.message))
        }
        problems.sort { $0.source < $1.source }
    }

    /// The binary protocol's ack of batch `number`.
    func ack(batch number: UInt64) -> Ack {
        Ack(
            batch: number, accepted: accepted, duplicates: duplicates, conflicts: conflicts, rejected: rejected,
            problems: problems.map { Ack.Problem(index: $0.source, code: $0.code, field: $0.field, message: $0.message) })
    }
}

/// What the writer answered a submission.
enum SubmissionAnswer: Sendable {
    /// Stored now; `replay` is the answer stored for resends, when the submission asked for one.
    case stored(SubmissionOutcome, replay: [UInt8]?)
    /// Stored earlier under the same replay key: the answer stored then.
    case replayed([UInt8])
}

/// The listener a submission came through, as the audit trail and the logs name it.
enum SubmissionChannel: String, Sendable {
    case binary, csv, http
}

extension ServerContext {
    /// The one path from every listener to the writer. The handlers decode requests and encode answers; everything in
    /// between is here: the token checked again against revocations, the device check, the metrics, the audit record, the replay key, and mapping the store's
    /// problems back to the frame index or line each scan came from.
    ///
    /// `early` holds what the decoder refused, by source; `replay`, for a protocol whose clients resend, stores the
    /// encoded answer under its key in the same transaction as the scans. `completion` runs on the writer's thread.
    func submit(
        _ batch: ScanBatch, early: [SubmissionProblem], token: TokenRecord, peer: String, channel: SubmissionChannel,
        replay: (key: ReplayKey, encode: @Sendable (SubmissionOutcome) -> [UInt8])? = nil,
        completion: @escaping @Sendable (Result<SubmissionAnswer, any Error>) -> Void
    ) {
        if revokedTokens.isRevoked(token.id) {
            metrics.refused.increment()
            logger.warning("refused", metadata: ["peer": "\(peer)", "channel": "\(channel.rawValue)", "reason": "revoked"])
            writer.audit(
                AuditRecord(
                    time: serverMilliseconds(), kind: .refused, token: token.id, source: peer, channel: channel.rawValue,
                    detail: "revoked while connected"))
            completion(.failure(TokenRevoked(id: token.id)))
            return
        }
        var batch = batch
        var early = early
        early += refuseOtherDevices(token, in: &batch)
        metrics.countRejected(early.count)
        metrics.batchScans.record(batch.count + early.count)
        let sources = batch.scans.map(\.source)
        let refusedEarly = early
        var encodeReplay: (@Sendable (IngestReport) -> [UInt8])? = nil
        if let encode = replay?.encode {
            encodeReplay = { report in encode(SubmissionOutcome(report: report, early: refusedEarly, sources: sources)) }
        }
        let request = IngestRequest(
            batch: batch, replayKey: replay?.key, encodeReplay: encodeReplay,
            audit: AuditRecord(
                time: serverMilliseconds(), kind: .batch, token: token.id, source: peer, channel: channel.rawValue,
                rejected: early.count))
        writer.submit(request) { result in
            completion(
                result.map { response in
                    switch response {
                    case .committed(let report, let replay):
                        .stored(SubmissionOutcome(report: report, early: refusedEarly, sources: sources), replay: replay)
                    case .replayed(let answer):
                        .replayed(answer)
                    }
                })
        }
    }
}

/// The scans of a batch a token may not send (a device token sending another device's scans), as problems, with the
/// batch reduced to the allowed ones.
func refuseOtherDevices(_ token: TokenRecord, in batch: inout ScanBatch) -> [SubmissionProblem] {
    guard token.kind == .device else { return [] }
    let own = InlineBytes(token.subject)
    var refused: [SubmissionProblem] = []
    var allowed = ScanBatch()
    for scan in batch.scans {
        if batch.inline(scan.device) == own {
            allowed.scans.append(scan)
        } else {
            refused.append(
                SubmissionProblem(
                    source: Int(scan.source), code: .forbiddenDevice, field: .device,
                    message: "token \(token.id) may only send scans of device \(token.subject), not \(batch.string(scan.device))"))
        }
    }
    guard !refused.isEmpty else { return [] }
    allowed.bytes = batch.bytes
    batch = allowed
    return refused
}
