import RastroCore
import RastroPrimitives

/// A stage of a commit, in the order ``WriteSession/run()`` runs them (docs/architecture.md, "The life of a scan").
public enum Phase: Int, CaseIterable, Sendable {
    /// Messenger, work-centre and device identifiers to ids.
    case entities
    /// Each scan's `(device, seq)` against the stored ranges and the batch's other scans.
    case dedup
    /// Tracking ids to item ids.
    case items
    /// New scans merged into their items' trace blocks, and the index changes derived from them.
    case timelines
    /// The index changes merged into cells, day states, durations, current states and touched days.
    case indexes
    case seqRanges
    /// New tracking ids into the `names` blocks.
    case names
    /// Blocks and cells leaving the hot window, compressed.
    case sealing
    /// `mdb_txn_commit`: the pages written and synced.
    case commit

    /// The name `--phases` prints.
    public var label: String {
        switch self {
        case .entities: "entities"
        case .dedup: "dedup"
        case .items: "items"
        case .timelines: "timelines"
        case .indexes: "index deltas"
        case .seqRanges: "seq ranges"
        case .names: "names"
        case .sealing: "sealing"
        case .commit: "commit"
        }
    }

    /// The parts of ``Phase/items``.
    public enum Items: Int, CaseIterable, Sendable {
        case hashes, cacheProbes, unknownNames, nameLookups, newIDs
    }

    /// The parts of ``Phase/timelines``.
    public enum Timelines: Int, CaseIterable, Sendable {
        case gather, fetchBlocks, blockWorkers, putsAndMerge
    }

    /// The parts of ``Phase/indexes``: the first, third and fourth run on the helper and the writer together.
    public enum Indexes: Int, CaseIterable, Sendable {
        case cells, dayStates, durations, currentStates, touched
    }
}

/// Seconds per step of an enumeration of steps.
public struct StepSeconds<Step: CaseIterable & RawRepresentable>: Sendable, Equatable where Step.RawValue == Int {
    private var seconds = [Double](repeating: 0, count: Step.allCases.count)

    public init() {}

    public subscript(step: Step) -> Double {
        get { seconds[step.rawValue] }
        set { seconds[step.rawValue] = newValue }
    }

    mutating func add(_ other: Self) {
        for index in seconds.indices { seconds[index] += other.seconds[index] }
    }
}

/// Laps of the monotonic clock: each ``lap(_:into:)`` charges the time since the previous one to a step.
struct Stopwatch {
    private var last = Stopwatch.now()

    mutating func lap<Step>(_ step: Step, into seconds: inout StepSeconds<Step>) {
        let now = Self.now()
        seconds[step] += now - last
        last = now
    }

    /// Seconds since the previous lap, which this starts.
    mutating func lap() -> Double {
        let now = Self.now()
        defer { last = now }
        return now - last
    }

    @inline(__always)
    static func now() -> Double { SystemClock.monotonicSeconds }
}

/// Where the writer's time went, summed over this process's commits (`rastro import --phases`, `rastrod --phases`).
public struct IngestPhases: Sendable, Equatable {
    /// Every ``Phase``'s label, in commit order.
    public static var names: [String] { Phase.allCases.map(\.label) }

    public var stages = StepSeconds<Phase>()
    public var items = StepSeconds<Phase.Items>()
    public var timelines = StepSeconds<Phase.Timelines>()
    public var indexes = StepSeconds<Phase.Indexes>()
    public var commits = 0
    /// Scans that reached the writer (rows a parser rejected never do).
    public var scans = 0
    /// Trace blocks encoded whole and the scans they held (the rewrite amplification).
    public var blocksRewritten = 0
    public var scansRewritten = 0
    /// Tails appended to hot blocks instead, and the new scans they held.
    public var tailsAppended = 0
    public var scansInTails = 0
    /// Of the blocks rewritten, the sealed (cold) ones, each compressed again: late scans for items older than the
    /// hot window.
    public var coldBlocksRewritten = 0
    public var coldScansRewritten = 0

    public init() {}

    /// Adds one commit's measurements.
    mutating func add(_ commit: IngestPhases) {
        stages.add(commit.stages)
        items.add(commit.items)
        timelines.add(commit.timelines)
        indexes.add(commit.indexes)
        blocksRewritten += commit.blocksRewritten
        scansRewritten += commit.scansRewritten
        tailsAppended += commit.tailsAppended
        scansInTails += commit.scansInTails
        coldBlocksRewritten += commit.coldBlocksRewritten
        coldScansRewritten += commit.coldScansRewritten
        scans += commit.scans
        commits += 1
    }
}
