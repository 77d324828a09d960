import RastroCore
import RastroPrimitives

/// The store's running counters, kept in `meta` and rewritten by every commit.
public struct Counters: Sendable, Equatable {
    /// The next item id to assign (item ids are dense from 0).
    public var nextItem: UInt32 = 0
    /// The next id per ``EntityKind`` (ids start at 1; 0 means none).
    public var nextEntity: [UInt32] = [1, 1, 1, 1]
    /// Totals since the store was created.
    public var accepted: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var conflicts: UInt64 = 0
    public var rejected: UInt64 = 0
    /// Trace blocks below this number are sealed (compressed).
    public var sealedBelow: UInt32 = 0
    /// The process that made the latest commit, and how many commits the store has had: a writer whose caches were
    /// filled by commit N of its own knows they are current only if the store is still at its commit N.
    public var writerToken: UInt64 = 0
    public var commits: UInt64 = 0
    /// The latest local day with a scan, and the day below which every cell is sealed.
    public var newestDay: UInt32 = 0
    public var cellsSealedBelow: UInt32 = 0

    public init() {}

    public func encode(into writer: ByteWriter) {
        writer.byte(1)  // Format version.
        writer.varint(nextItem)
        for next in nextEntity { writer.varint(next) }
        writer.varint(accepted)
        writer.varint(duplicates)
        writer.varint(conflicts)
        writer.varint(rejected)
        writer.varint(sealedBelow)
        writer.varint(writerToken)
        writer.varint(commits)
        writer.varint(newestDay)
        writer.varint(cellsSealedBelow)
    }

    public init(decoding value: ByteView) throws(StoreCorruption) {
        var reader = ByteReader(value)
        guard try reader.byte() == 1 else { throw StoreCorruption("unknown counters format") }
        nextItem = try reader.varint32()
        nextEntity = []
        for _ in 0..<4 { nextEntity.append(try reader.varint32()) }
        accepted = try reader.varint()
        duplicates = try reader.varint()
        conflicts = try reader.varint()
        rejected = try reader.varint()
        sealedBelow = try reader.varint32()
        writerToken = try reader.varint()
        commits = try reader.varint()
        newestDay = try reader.varint32()
        cellsSealedBelow = try reader.varint32()
    }
}
