import Foundation
@testable import RastroStore
import RastroTestSupport
import Testing

/// `rastro import` into a new data directory ends compacted; `--no-compact` and `rastro compact` as an operator runs
/// them.
@Suite(.serialized)
struct CompactCommandTests {
    @Test func anImportIntoANewDirectoryEndsWithoutFreePages() throws {
        let directory = TemporaryDirectory()
        let file = directory.path + "/scans.csv"
        let rows = StreamFixtures.generated(scans: 30_000, seed: 61).all
        try (([StreamFixtures.header] + rows).joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let compacted = directory.path + "/compacted", kept = directory.path + "/kept"
        let first = try BuiltRastro.run(["import", file, "--data", compacted, "--batch-size", "5000"])
        #expect(first.status == 0, "\(first)")
        #expect(first.errors.contains("compacted the new data directory"), "\(first.errors)")
        let second = try BuiltRastro.run(["import", file, "--data", kept, "--batch-size", "5000", "--no-compact"])
        #expect(second.status == 0 && !second.errors.contains("compacted"), "\(second)")
        let keptShare = try Store(directory: kept, create: false, readOnly: true).freePageShare()
        let compactedShare = try Store(directory: compacted, create: false, readOnly: true).freePageShare()
        #expect(keptShare > 0.1 && compactedShare < 0.01, "free \(keptShare) kept, \(compactedShare) compacted")
        let size = { (path: String) in try FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as! Int }
        #expect(try size(compacted) < size(kept))

        // An import into an existing directory leaves it as it is; `rastro compact` compacts it.
        let again = try BuiltRastro.run(["import", file, "--data", kept, "--batch-size", "5000"])
        #expect(again.status == 0 && !again.errors.contains("compacted"), "\(again)")
        let compact = try BuiltRastro.run(["compact", "--data", kept])
        #expect(compact.status == 0 && compact.output.hasPrefix("compacted \(kept): "), "\(compact)")
        #expect(try Store(directory: kept, create: false, readOnly: true).freePageShare() < 0.01)
    }
}
