import RastroCore
import RastroPrimitives

/// Up to ``capacity`` tracking ids with their item ids, sorted: one entry of the `names` database, keyed by its
/// first tracking id. See docs/storage.md §5.2.
public struct NameBlock: Sendable {
    public static var capacity: Int { 128 }
    public var names: [InlineBytes] = []
    public var ids: [UInt32] = []

    public init() {}

    public var count: Int { names.count }

    /// The index of `name`, or where it would be inserted.
    public func search(_ name: InlineBytes) -> (index: Int, found: Bool) {
        let low = names.partitioningIndex { !($0 < name) }
        return (low, low < names.count && names[low] == name)
    }

    public func encode(into writer: ByteWriter) {
        writer.varint(names.count)
        var previousName = InlineBytes(ByteView())
        var previousID: Int64 = 0
        for index in names.indices {
            TraceBlock.encodeName(names[index], after: previousName, into: writer)
            writer.zigzag(Int64(ids[index]) - previousID)
            previousName = names[index]
            previousID = Int64(ids[index])
        }
    }

    public mutating func decode(_ value: ByteView) throws(StoreCorruption) {
        names.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        var reader = ByteReader(value)
        let count = try reader.count(maximum: 1 << 16)
        var previousName = NameCoding.Previous()
        var previousID: Int64 = 0
        for _ in 0..<count {
            names.append(try NameCoding.decode(&reader, previous: &previousName))
            previousID &+= try reader.zigzag()
            guard previousID >= 0 && previousID <= Int64(UInt32.max) else { throw StoreCorruption("bad item id \(previousID)") }
            ids.append(UInt32(previousID))
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in a name block") }
    }
}
