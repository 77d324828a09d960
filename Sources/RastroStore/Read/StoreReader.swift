import RastroCore
import RastroPrimitives

/// Read access to a store inside one read transaction: a consistent view of one commit.
///
/// Decoded values are copies; nothing from the map outlives ``Store/read(_:)``.
public final class StoreReader {
    let store: Store
    let transaction: Transaction
    var databases: StoreDatabases { store.databases }
    public var zone: SiteTimeZone
    let zstd: Zstd
    var scratch: [UInt8] = []
    var entityNames: [[UInt32: String]] = Array(repeating: [:], count: EntityKind.allCases.count)

    init(store: Store, transaction: Transaction) {
        self.store = store
        self.transaction = transaction
        self.zone = store.zone
        self.zstd = store.readerResources.takeZstd()
    }

    deinit { store.readerResources.giveBack(zstd) }

    /// The item id of a tracking id, or `nil` when the store has never seen it.
    public func itemID(_ trackingID: String) throws -> UInt32? {
        guard trackingID.utf8.count <= InlineBytes.capacity else { return nil }
        return try NameIndex.itemID(InlineBytes(trackingID), transaction: transaction, database: databases.names)
    }

    /// The trace block holding `item`, decoded.
    public func block(containing item: UInt32) throws -> TraceBlock? {
        let number = item >> TraceBlock.itemShift
        var block = TraceBlock(number: number)
        let found: Void? = try transaction.withValue(databases.items, Key.uint32(number)) { value in
            try decode(value, number: number, into: &block)
        }
        return found == nil ? nil : block
    }

    /// Decodes a stored trace block (`items` value) into `block`, reusing this reader's scratch buffer.
    func decode(_ value: ByteView, number: UInt32, into block: inout TraceBlock) throws(StoreCorruption) {
        do {
            try block.decode(value, number: number, zstd: zstd, scratch: &scratch)
        } catch {
            throw error.located("items", "block \(number)")
        }
    }

    /// An item's tracking id and timeline.
    public func timeline(item: UInt32) throws -> (trackingID: String, scans: [StoredScan])? {
        guard let block = try block(containing: item) else { return nil }
        let index = Int(item - block.firstItem)
        guard index < block.itemCount else { return nil }
        return (block.names[index].string, Array(block.timeline(index)))
    }

    /// The identifier behind a dictionary id (cached for the life of this reader).
    public func name(_ kind: EntityKind, _ id: UInt32) throws -> String {
        let slot = Int(kind.rawValue) - 1
        if let known = entityNames[slot][id] { return known }
        var key = Key()
        key.append(kind.rawValue | 0x80)
        key.append(bigEndian: id)
        guard let name = try transaction.withValue(databases.entities, key, { String(decoding: $0, as: UTF8.self) }) else {
            throw StoreCorruption("entities: no \(kind.name) with id \(id)")
        }
        entityNames[slot][id] = name
        return name
    }

    /// The dictionary id of an identifier, or `nil` when the store has never seen it.
    public func id(_ kind: EntityKind, _ name: String) throws -> UInt32? {
        guard name.utf8.count <= Key.capacity - 1 else { return nil }
        var key = Key()
        key.append(kind.rawValue)
        name.withByteView { key.append($0) }
        return try transaction.withValue(databases.entities, key) { bytes -> UInt32 in
            var reader = ByteReader(bytes)
            return try reader.uint32BigEndian()
        }
    }

    /// The full history of one item in timeline order (`scanned_at`, then arrival), or `nil` when unknown.
    public func trace(_ trackingID: String) throws -> [TraceEntry]? {
        guard let item = try itemID(trackingID), let (_, scans) = try timeline(item: item) else { return nil }
        return try scans.map { scan in
            TraceEntry(
                scannedAt: scan.scannedAt, event: scan.event, messenger: try name(.messenger, scan.messenger),
                workCenter: try name(.workCenter, scan.workCenter), device: try name(.device, scan.device), seq: scan.seq,
                reason: scan.reason == 0 ? nil : try name(.reason, scan.reason),
                latitude: scan.hasLocation ? scan.latitude : nil, longitude: scan.hasLocation ? scan.longitude : nil,
                receivedAt: scan.receivedAt)
        }
    }

    /// Counters as of this transaction.
    public func counters() throws -> Counters { try store.counters(in: transaction) }
}

extension Store {
    /// Runs `body` with a reader over one consistent commit (one LMDB read transaction).
    public func read<Result>(_ body: (StoreReader) throws -> Result) throws -> Result {
        try environment.read { transaction in
            let reader = StoreReader(store: self, transaction: transaction)
            return try body(reader)
        }
    }
}
