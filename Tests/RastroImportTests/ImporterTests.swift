import RastroCore
import RastroImport
import RastroStore
import RastroTestSupport
import Synchronization
import Testing

/// The importer as a library, as a front end other than `rastro import` would use it.
@Suite struct ImporterTests {
    /// Every row of a generated stream lands once: the distinct scans accepted, resends counted as duplicates, and
    /// every bad row handed to `rejected` with its line, field and reason, across several commits.
    @Test func aFileLandsWhole() throws {
        let directory = TemporaryDirectory()
        let stream = StreamFixtures.generated(scans: 5_000, seed: 11)
        let file = directory.path + "/scans.csv"
        try ([StreamFixtures.header] + stream.all + ["GU1,picked_up,not-a-time,M1,BOG-CEN,DEV-X,1,,,"])
            .joined(separator: "\n").appending("\n").write(to: file)
        let store = try Store(directory: directory.path + "/data")
        let progressCalls = Mutex(0)
        let importer = Importer(
            store: store, validator: try store.validator(), batchSize: 1_000,
            progress: { _, _, _ in progressCalls.withLock { $0 += 1 } })
        var rejectedRows: [[String]] = []
        let result = try importer.importFile(file) { rejectedRows += $0 }
        #expect(result.report.accepted == stream.clean.count)
        #expect(result.csvRejected == 1)
        #expect(rejectedRows.contains { $0[0] == file && $0[1] == String(stream.all.count + 2) && $0[2] == "scanned_at" })
        #expect(try store.counters().accepted == UInt64(stream.clean.count))
        #expect(progressCalls.withLock { $0 } >= 5)
    }

    /// A file of bad rows is read in bounded steps: no batch carries more than `rejectsPerBatch` rejections, and every
    /// row still lands (rejected with its line, or accepted).
    @Test func rejectedRowsComeInBoundedBatches() throws {
        let directory = TemporaryDirectory()
        let file = directory.path + "/bad.csv"
        let bad = (0..<1_000).map { "GU\($0),picked_up,not-a-time,M1,BOG-CEN,DEV-X,\($0),,," }
        let good = (0..<10).map { "GV\($0),picked_up,2026-09-01T10:00:00Z,M1,BOG-CEN,DEV-Y,\($0),,," }
        try ([StreamFixtures.header] + bad + good).joined(separator: "\n").appending("\n").write(to: file)
        let store = try Store(directory: directory.path + "/data")
        let importer = Importer(store: store, validator: try store.validator(), rejectsPerBatch: 100)
        var calls: [Int] = []
        let result = try importer.importFile(file) { calls.append($0.count) }
        #expect(calls.allSatisfy { $0 <= 100 })
        #expect(calls.reduce(0, +) == 1_000 && result.csvRejected == 1_000)
        #expect(calls.count >= 10)
        #expect(result.report.accepted == 10)
    }

    /// A file that cannot be opened is an error naming it, and nothing is stored.
    @Test func aMissingFileIsAnErrorNamingIt() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path + "/data")
        let importer = Importer(store: store, validator: try store.validator())
        #expect {
            _ = try importer.importFile(directory.path + "/missing.csv") { _ in }
        } throws: { error in
            (error as? ImportError)?.message.contains("missing.csv") == true
        }
        #expect(try store.counters().accepted == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension String {
    fileprivate func write(to path: String) throws {
        guard let file = fopen(path, "wb") else { throw ImportError(message: "cannot create \(path)") }
        defer { fclose(file) }
        var text = self
        text.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
    }
}
