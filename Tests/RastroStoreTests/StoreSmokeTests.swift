import RastroCSV
import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

@Suite("Store basics")
struct StoreSmokeTests {
    static let t0: Int64 = 1_788_274_800_000  // 2026-09-01T10:00:00-05:00

    static func schema(of store: Store) throws -> UInt32? {
        try store.environment.read { transaction in
            try transaction.withValue(store.databases.meta, MetaKey.key(MetaKey.schema)) { bytes in
                var reader = ByteReader(bytes)
                return try reader.uint32BigEndian()
            }
        }
    }

    static func setSchema(_ value: UInt32, of store: Store) throws {
        try store.environment.write { transaction in
            let version = ByteWriter()
            version.uint32BigEndian(value)
            try transaction.put(store.databases.meta, MetaKey.key(MetaKey.schema), version.bytes)
        }
    }

    /// Schema 3 adds trace-block tails to schema 2, schema 4 checksums on every stored value: a schema-2 or -3 store is
    /// read as it is, and marked 4 once opened for writing (so that an older binary refuses it); any other schema is
    /// refused.
    @Test(arguments: [UInt32(2), 3])
    func anOlderSchemaIsReadAndMarkedCurrentWhenWritten(older: UInt32) throws {
        let directory = TemporaryDirectory()
        do {
            let store = try Store(directory: directory.path)
            #expect(try Self.schema(of: store) == 4)
            try Self.setSchema(older, of: store)
        }
        do {
            let reader = try Store(directory: directory.path, create: false, readOnly: true)
            #expect(try Self.schema(of: reader) == older)
        }
        do {
            let writer = try Store(directory: directory.path)
            #expect(try Self.schema(of: writer) == 4)
            try Self.setSchema(1, of: writer)
        }
        let error = try #require(throws: StoreError.self) { try Store(directory: directory.path) }
        #expect("\(error)".contains("has storage schema 1; this rastro reads schemas 2 to 4"))
    }

    /// A tracking id first seen in a batch gets an item only if one of its scans is new: one named only by a resend
    /// of another item's scan creates nothing. New ids follow the order in which the batch first mentions the names,
    /// whatever the status of that first mention.
    @Test func onlyNewScansCreateItemsInTheOrderOfFirstMention() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        var first = ScanBatch()
        first.append(trackingID: "GU-A", event: .pickedUp, scannedAt: Self.t0, messenger: "M", workCenter: "C", device: "D", seq: 1, receivedAt: Self.t0)
        #expect(try store.ingest(first).accepted == 1)
        var second = ScanBatch()
        // GU-X's only scan repeats (D, 1), stored for GU-A; GU-C is mentioned first by a resend of (D, 1), then by
        // a new scan; GU-B is mentioned after GU-C's resend but before GU-C's new scan.
        second.append(trackingID: "GU-X", event: .received, scannedAt: Self.t0, messenger: "M", workCenter: "C", device: "D", seq: 1, receivedAt: Self.t0)
        second.append(trackingID: "GU-C", event: .received, scannedAt: Self.t0, messenger: "M", workCenter: "C", device: "D", seq: 1, receivedAt: Self.t0)
        second.append(trackingID: "GU-B", event: .pickedUp, scannedAt: Self.t0, messenger: "M", workCenter: "C", device: "D", seq: 2, receivedAt: Self.t0)
        second.append(trackingID: "GU-C", event: .pickedUp, scannedAt: Self.t0, messenger: "M", workCenter: "C", device: "D", seq: 3, receivedAt: Self.t0)
        let report = try store.ingest(second)
        #expect(report.accepted == 2 && report.conflicts == 2)
        #expect(report.problems.map(\.index) == [0, 1])
        #expect(report.problems.allSatisfy { $0.message.contains("is already stored for another tracking id") })
        #expect(try store.read { try $0.itemID("GU-X") } == nil)
        let a = try #require(try store.read { try $0.itemID("GU-A") })
        #expect(try store.read { try $0.itemID("GU-C") } == a + 1)
        #expect(try store.read { try $0.itemID("GU-B") } == a + 2)
        #expect(try store.read { try $0.trace("GU-C") }?.map(\.seq) == [3])
        #expect(try store.counters().nextItem == a + 3)
    }

    @Test func storesAndTracesAnItem() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        var batch = ScanBatch()
        batch.append(trackingID: "GU1", event: .pickedUp, scannedAt: Self.t0, messenger: "M1", workCenter: "C1", device: "D1", seq: 1, latitude: 47_100_000, longitude: -740_700_000, receivedAt: Self.t0 + 5)
        batch.append(trackingID: "GU1", event: .received, scannedAt: Self.t0 + 3_600_000, messenger: "K1", workCenter: "C1", device: "D2", seq: 10, receivedAt: Self.t0 + 3_600_000)
        batch.append(trackingID: "GU2", event: .pickedUp, scannedAt: Self.t0 + 60_000, messenger: "M1", workCenter: "C1", device: "D1", seq: 2, receivedAt: Self.t0 + 60_000)
        let report = try store.ingest(batch)
        #expect(report.accepted == 3 && report.duplicates == 0 && report.conflicts == 0)
        let trace = try store.read { try $0.trace("GU1") }
        #expect(trace?.map(\.event) == [.pickedUp, .received])
        #expect(trace?.first?.messenger == "M1")
        #expect(trace?.first?.latitude == 47_100_000)
        #expect(trace?.last?.device == "D2")
        #expect(try store.read { try $0.trace("GU3") }.map { _ in true } == nil)

        // A resend is a duplicate; the same key with other content is a conflict; a late scan lands in order.
        var second = ScanBatch()
        second.append(trackingID: "GU1", event: .pickedUp, scannedAt: Self.t0, messenger: "M1", workCenter: "C1", device: "D1", seq: 1, latitude: 47_100_000, longitude: -740_700_000, receivedAt: Self.t0 + 99)
        second.append(trackingID: "GU1", event: .delivered, scannedAt: Self.t0, messenger: "M1", workCenter: "C1", device: "D1", seq: 2, receivedAt: Self.t0 + 99)
        second.append(trackingID: "GU1", event: .inTransit, scannedAt: Self.t0 + 1_800_000, messenger: "K1", workCenter: "C1", device: "D2", seq: 9, receivedAt: Self.t0 + 7_200_000)
        let secondReport = try store.ingest(second)
        #expect(secondReport.accepted == 1 && secondReport.duplicates == 1 && secondReport.conflicts == 1)
        #expect(secondReport.problems.first?.index == 1)
        let after = try store.read { try $0.trace("GU1") }
        #expect(after?.map(\.event) == [.pickedUp, .inTransit, .received])
        let counters = try store.counters()
        #expect(counters.accepted == 4 && counters.duplicates == 1 && counters.conflicts == 1 && counters.nextItem == 2)
    }
}

@Suite("Item cache")
struct ItemCacheTests {
    /// Where every scan landed: each tracking id's stored seqs in timeline order, and how many items the store has.
    static func expectPlacement(
        in store: Store, _ seqs: [(name: String, seqs: [UInt64])], items: UInt32,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for (name, expected) in seqs {
            #expect(try store.read { try $0.trace(name) }?.map(\.seq) == expected, "\(name)", sourceLocation: sourceLocation)
        }
        #expect(try store.read { try $0.counters() }.nextItem == items, sourceLocation: sourceLocation)
    }

    /// A wrong cached answer (what a 64-bit hash collision would produce) is caught against the stored name and the
    /// commit is redone from the database: the scan lands on its own item.
    @Test func aPoisonedCacheEntryIsDetectedAndTheCommitRetried() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        var first = ScanBatch()
        first.append(trackingID: "GU-A", event: .pickedUp, scannedAt: StoreSmokeTests.t0, messenger: "M", workCenter: "C", device: "D", seq: 1, receivedAt: StoreSmokeTests.t0)
        first.append(trackingID: "GU-B", event: .pickedUp, scannedAt: StoreSmokeTests.t0, messenger: "M", workCenter: "C", device: "D", seq: 2, receivedAt: StoreSmokeTests.t0)
        _ = try store.ingest(first)
        let itemA = try #require(try store.read { try $0.itemID("GU-A") })
        store.poisonItemCache(name: "GU-B", item: itemA)
        var second = ScanBatch()
        second.append(trackingID: "GU-B", event: .received, scannedAt: StoreSmokeTests.t0 + 60_000, messenger: "M", workCenter: "C", device: "D", seq: 3, receivedAt: StoreSmokeTests.t0)
        let report = try store.ingest(second)
        #expect(report.accepted == 1)
        #expect(try store.read { try $0.trace("GU-B") }?.map(\.event) == [.pickedUp, .received])
        #expect(try store.read { try $0.trace("GU-A") }?.map(\.event) == [.pickedUp])
    }

    /// With every tracking id hashing alike, the batch's table of unknown names and the cache merge different items;
    /// the name check catches it and the commit is redone comparing names: each scan still lands on its own item.
    @Test func namesThatShareAHashStayDistinctItems() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        store.hashEveryName(to: 7)
        var first = ScanBatch()
        for (seq, name) in ["GU-A", "GU-B", "GU-A", "GU-C"].enumerated() {
            first.append(
                trackingID: name, event: seq < 2 ? .pickedUp : .received, scannedAt: StoreSmokeTests.t0 + Int64(seq) * 60_000,
                messenger: "M", workCenter: "C", device: "D", seq: UInt64(seq + 1), receivedAt: StoreSmokeTests.t0)
        }
        #expect(try store.ingest(first).accepted == 4)
        var second = ScanBatch()
        second.append(trackingID: "GU-C", event: .inTransit, scannedAt: StoreSmokeTests.t0 + 600_000, messenger: "M", workCenter: "C", device: "D", seq: 5, receivedAt: StoreSmokeTests.t0)
        second.append(trackingID: "GU-B", event: .received, scannedAt: StoreSmokeTests.t0 + 600_000, messenger: "M", workCenter: "C", device: "D", seq: 6, receivedAt: StoreSmokeTests.t0)
        #expect(try store.ingest(second).accepted == 2)
        try Self.expectPlacement(in: store, [("GU-A", [1, 3]), ("GU-B", [2, 6]), ("GU-C", [4, 5])], items: 3)
    }

    /// The store's validator hashes tracking ids where it parses them, and the writer reads those hashes instead of
    /// computing its own; a batch merged from hashed and unhashed ones drops the column.
    @Test func theStoresValidatorHashesTrackingIDsForTheWriter() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        let reader = CSVScanReader(validator: try store.validator())
        let text = "tracking_id,event,scanned_at,messenger,work_center,device,seq\n"
            + "GU-A,picked_up,2026-09-01T10:00:00-05:00,M,C,D,1\nGU-B,picked_up,2026-09-01T10:01:00-05:00,M,C,D,2\n"
        var batch = ScanBatch()
        var rejects: [CSVRejection] = []
        _ = try Array(text.utf8).withByteView {
            try reader.read($0, isFinal: true, receivedAt: StoreSmokeTests.t0 + 86_400_000, maximumScans: .max, into: &batch, rejects: &rejects)
        }
        #expect(batch.count == 2 && rejects.isEmpty)
        #expect(batch.hasTrackingHashes)
        #expect(batch.trackingHashes == [InlineBytes("GU-A").trackingHash, InlineBytes("GU-B").trackingHash])
        var unhashed = ScanBatch()
        unhashed.append(trackingID: "GU-C", event: .pickedUp, scannedAt: StoreSmokeTests.t0, messenger: "M", workCenter: "C", device: "D", seq: 3, receivedAt: StoreSmokeTests.t0)
        unhashed.trackingHashes = []
        var merged = batch
        merged.append(contentsOf: unhashed)
        #expect(merged.count == 3 && !merged.hasTrackingHashes)
        #expect(try store.ingest(batch).accepted == 2)
        #expect(try store.read { try $0.trace("GU-B") }?.map(\.seq) == [2])
    }

    /// A hash column that does not match the tracking ids (every entry alike, as if they collided) cannot misplace a
    /// scan: the writer's name check catches the merged items and the commit is redone comparing names.
    @Test func aWrongHashColumnCannotMisplaceAScan() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        for round in 0..<2 {
            var batch = ScanBatch()
            for (offset, name) in ["GU-A", "GU-B", "GU-C"].enumerated() {
                let seq = round * 3 + offset + 1
                batch.append(
                    trackingID: name, event: round == 0 ? .pickedUp : .received,
                    scannedAt: StoreSmokeTests.t0 + Int64(seq) * 60_000, messenger: "M", workCenter: "C", device: "D",
                    seq: UInt64(seq), receivedAt: StoreSmokeTests.t0)
            }
            batch.trackingHashes = Array(repeating: 42, count: batch.count)
            #expect(try store.ingest(batch).accepted == 3)
        }
        try Self.expectPlacement(in: store, [("GU-A", [1, 4]), ("GU-B", [2, 5]), ("GU-C", [3, 6])], items: 3)
    }

    /// A large batch's unknown names are told apart by hash, then checked against every scan on the helper thread
    /// while the writer looks them up: a hash column that merges twenty names is caught there (the block workers
    /// check only the item cache's answers, and this store has none yet) and the commit is redone comparing names.
    @Test func aLargeBatchsMergedNamesAreCaughtOnTheHelperThread() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        var batch = ScanBatch()
        let names = (0..<20).map { "GU-\($0)" }
        let perName = 3_500
        for seq in 0..<names.count * perName {
            batch.append(
                trackingID: names[seq % names.count], event: .inTransit,
                scannedAt: StoreSmokeTests.t0 + Int64(seq) * 1_000, messenger: "M", workCenter: "C", device: "D",
                seq: UInt64(seq + 1), receivedAt: StoreSmokeTests.t0 + 86_400_000)
        }
        batch.trackingHashes = Array(repeating: 42, count: batch.count)
        #expect(batch.count >= 65_536)
        #expect(try store.ingest(batch).accepted == names.count * perName)
        #expect(try store.read { try $0.counters() }.nextItem == UInt32(names.count))
        for (offset, name) in names.enumerated() {
            let seqs = try #require(try store.read { try $0.trace(name) }).map(\.seq)
            #expect(seqs == Array(stride(from: UInt64(offset + 1), through: UInt64(names.count * perName), by: names.count)))
        }
    }

    /// A commit's items inserted in one call (hashed and touched by chunks) leave the cache as inserting them one by
    /// one does, across generation swaps: the same answers, the same misses.
    @Test(arguments: [0, 1, 31, 32, 33, 100, 1_000])
    func insertingACommitsItemsAtOnceMatchesOneByOne(count: Int) {
        let entries = (0..<count).map { (name: InlineBytes("GU\($0 * 7919)"), id: UInt32($0)) }
        var together = ItemCache(capacity: 64)
        var oneByOne = ItemCache(capacity: 64)
        together.insert(entries)
        for (name, id) in entries { oneByOne.insert(name, id) }
        for (name, _) in entries + [(name: InlineBytes("GU-NEVER"), id: 0)] {
            let hash = ItemCache.hash(name)
            #expect(together.lookup(hash: hash) == oneByOne.lookup(hash: hash), "\(name)")
        }
        if count > 0 { #expect(together.lookup(hash: ItemCache.hash(entries[count - 1].name)) == UInt32(count - 1)) }
    }

    /// The check of names given by hash alone: every scan with an ordinal is compared with that ordinal's name, in
    /// the range asked, and scans without one (answered by the cache) are skipped.
    @Test func namesMatchComparesEveryScanWithAnOrdinal() {
        var batch = ScanBatch()
        for name in ["GU-A", "GU-B", "GU-A", "GU-C"] {
            batch.append(trackingID: name, event: .pickedUp, scannedAt: StoreSmokeTests.t0, messenger: "M", workCenter: "C", device: "D", seq: 1)
        }
        let names = ["GU-A", "GU-B"].map(InlineBytes.init)
        func matches(_ ordinals: [Int32], _ range: Range<Int> = 0..<4) -> Bool {
            ordinals.withArrayView { BatchNames.namesMatch(names, ordinals: $0, in: batch, range: range) }
        }
        #expect(matches([0, 1, 0, -1]))
        #expect(!matches([0, 1, 1, -1]))
        #expect(!matches([0, 1, 0, 0]))
        #expect(matches([0, 1, 1, -1], 0..<2))
        #expect(!matches([1, 1, 0, -1], 0..<2))
    }

    /// The batch's name table is sized for the names expected and grows past them: every scan of a name gets that
    /// name's ordinal, ordinals follow first mention, and after a reset the table is empty again, in both modes
    /// (hash alone, and exact, where equal hashes of different names stay apart).
    @Test(arguments: [false, true])
    func batchNamesGrowPastTheNamesExpected(exact: Bool) {
        var batch = ScanBatch()
        var hashes: [UInt64] = []
        var hasher = NameHasher()
        for index in 0..<3_000 {
            let name = "GU\(100_000 + index % 1_000)"
            batch.append(trackingID: name, event: .pickedUp, scannedAt: StoreSmokeTests.t0, messenger: "M", workCenter: "C", device: "D", seq: UInt64(index + 1))
            // In exact mode, every tenth name shares one hash: they must still get ordinals of their own.
            hashes.append(exact && index % 10 == 0 ? 42 : hasher.hash(InlineBytes(name)))
        }
        var names = BatchNames()
        for round in 0..<2 {
            names.reset(forUpTo: 16, exact: exact)
            #expect(names.isEmpty)
            var ordinals: [Int32] = []
            for index in 0..<batch.count {
                ordinals.append(names.ordinal(ofScan: index, hash: hashes[index], in: batch, unknown: WriteSession.unknownItem))
            }
            #expect(names.count == 1_000, "round \(round)")
            for index in 0..<batch.count {
                #expect(ordinals[index] == Int32(index % 1_000))
                #expect(names.name(Int(ordinals[index])).string == "GU\(100_000 + index % 1_000)")
            }
            #expect(names.slots.count >= 2 * names.count)
        }
    }

    /// The writer sorts a batch's unknown names by their first sixteen bytes and length: the same order as comparing
    /// the names, for short names, long ones sharing those sixteen bytes, and prefixes of each other.
    @Test func namesSortByPrefixKeysAsTheyCompare() {
        var random = SplitMixForTests(seed: 5)
        var names = ["GU1", "GU10", "GU1", "A", "AAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAA"].map(InlineBytes.init)
        for _ in 0..<2_000 {
            let stems = ["GU000", "DOC/2026/", "OS0003", "AAAAAAAAAAAAAAAA-LONG-", "Z"]
            names.append(InlineBytes(stems[random.below(stems.count)] + String(random.below(100_000))))
        }
        let keys = NameSortKey.sorted(names)
        #expect(keys.map { names[Int($0.ordinal)] } == names.sorted())
        #expect(Set(keys.map(\.ordinal)).count == names.count)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A data directory holds proof of delivery and token hashes: only its owner may read it.
@Suite struct DataDirectoryPermissionTests {
    static func mode(_ path: String) -> mode_t {
        var status = stat()
        precondition(stat(path, &status) == 0, "no \(path)")
        return status.st_mode & 0o777
    }

    @Test func aNewDataDirectoryIsTheOwnersAlone() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/new/data"
        _ = try Store(directory: data)
        #expect(Self.mode(directory.path + "/new") == 0o700)
        #expect(Self.mode(data) == 0o700)
        #expect(Self.mode(data + "/data.mdb") == 0o600)
        #expect(Self.mode(data + "/lock.mdb") == 0o600)
    }
}
