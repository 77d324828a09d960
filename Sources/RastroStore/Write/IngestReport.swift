import RastroCore

/// What happened to each scan of a batch once it was durably committed.
public struct IngestReport: Sendable, Equatable {
    public var accepted = 0
    public var duplicates = 0
    public var conflicts = 0
    /// Valid scans the store refused (an item over ``Limits/scansPerItem``).
    public var rejected = 0
    /// One entry per conflict or rejection, in batch order.
    public var problems: [ScanProblem] = []

    public init() {}

    public mutating func add(_ other: IngestReport, indexOffset: Int = 0) {
        accepted += other.accepted
        duplicates += other.duplicates
        conflicts += other.conflicts
        rejected += other.rejected
        problems.append(contentsOf: other.problems.map { problem in
            var moved = problem
            moved.index += indexOffset
            return moved
        })
    }
}

/// A scan the store did not accept.
public struct ScanProblem: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The scan's `(device, seq)` is stored with different content.
        case conflict
        /// The scan is valid but the store refuses it (a bound).
        case rejected
    }

    /// The scan's index in its batch.
    public var index: Int
    public var kind: Kind
    public var field: ScanField?
    public var message: String

    public init(index: Int, kind: Kind, field: ScanField?, message: String) {
        self.index = index
        self.kind = kind
        self.field = field
        self.message = message
    }
}
