import RastroCore

/// Identifies a batch across reconnections: the token that sent it, the client's session and the batch's number.
public struct ReplayKey: Hashable, Sendable {
    public var token: UInt32
    public var session: UInt64
    public var number: UInt64

    public init(token: UInt32, session: UInt64, number: UInt64) {
        self.token = token
        self.session = session
        self.number = number
    }

    var key: Key {
        var key = Key()
        key.append(bigEndian: token)
        key.append(bigEndian: session)
        key.append(bigEndian: number)
        return key
    }
}

/// One network batch in a group commit.
public struct IngestRequest: Sendable {
    public var batch: ScanBatch
    /// When set, a batch already committed under this key is not ingested again: its stored answer is replayed.
    public var replayKey: ReplayKey?
    /// Encodes the answer to store under `replayKey` (inside the transaction, from the batch's report).
    public var encodeReplay: (@Sendable (IngestReport) -> [UInt8])?
    /// An audit record for the batch; the store fills in its counts.
    public var audit: AuditRecord?

    public init(
        batch: ScanBatch, replayKey: ReplayKey? = nil, encodeReplay: (@Sendable (IngestReport) -> [UInt8])? = nil,
        audit: AuditRecord? = nil
    ) {
        self.batch = batch
        self.replayKey = replayKey
        self.encodeReplay = encodeReplay
        self.audit = audit
    }
}

/// What the store did with one request of a group.
public enum IngestResponse: Sendable {
    /// Ingested in this commit; `replay` is the answer stored for resends.
    case committed(IngestReport, replay: [UInt8]?)
    /// Committed earlier under the same replay key: the answer stored then.
    case replayed([UInt8])
}

