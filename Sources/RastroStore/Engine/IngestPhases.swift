import RastroCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cumulative time spent in each step of ``Store/ingest(_:)``, for profiling (`rastro import --phases`).
public struct IngestPhases: Sendable, Equatable {
    public static let names = [
        "entities", "dedup", "items", "timelines", "index deltas", "seq ranges", "names", "sealing", "commit",
    ]
    public var seconds = [Double](repeating: 0, count: names.count)
    public var commits = 0
    /// Scans that reached the writer (rows rejected by a parser before it are not among them).
    public var scans = 0
    /// Trace blocks encoded whole and the scans they held (the rewrite amplification).
    public var blocksRewritten = 0
    public var scansRewritten = 0
    /// Tails appended to hot blocks instead, and the new scans they held.
    public var tailsAppended = 0
    public var scansInTails = 0
    /// Of those, the sealed (cold) blocks, each compressed again: late scans for items older than the hot window.
    public var coldBlocksRewritten = 0
    public var coldScansRewritten = 0
    /// The timelines step in parts: gather, fetch old blocks, workers, puts and merge.
    public var timelineParts = [Double](repeating: 0, count: 4)
    /// The index step in parts: cells, day states, durations, current, touched.
    public var indexParts = [Double](repeating: 0, count: 5)
    /// The items step in parts: hashes, cache probes, the batch's unknown names, `names` lookups, new ids.
    public var itemParts = [Double](repeating: 0, count: 5)

    public init() {}

    /// Adds one commit's measurements.
    mutating func add(_ commit: IngestPhases) {
        for index in seconds.indices { seconds[index] += commit.seconds[index] }
        for index in timelineParts.indices { timelineParts[index] += commit.timelineParts[index] }
        for index in indexParts.indices { indexParts[index] += commit.indexParts[index] }
        for index in itemParts.indices { itemParts[index] += commit.itemParts[index] }
        blocksRewritten += commit.blocksRewritten
        scansRewritten += commit.scansRewritten
        tailsAppended += commit.tailsAppended
        scansInTails += commit.scansInTails
        coldBlocksRewritten += commit.coldBlocksRewritten
        coldScansRewritten += commit.coldScansRewritten
        scans += commit.scans
        commits += 1
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
