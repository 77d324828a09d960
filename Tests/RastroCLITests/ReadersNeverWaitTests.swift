import Foundation
import RastroPrimitives
import RastroStore
import RastroTestSupport
import Testing

/// Read commands open the store read-only: while another process's writer holds LMDB's write lock mid-commit, every
/// report still answers (a read-write open would create its databases in a write transaction and wait for the lock).
@Suite(.serialized)
struct ReadersNeverWaitTests {
    /// Runs the built `rastro` with `arguments`; its exit status, or `nil` if it had not finished within `seconds`.
    static func run(_ arguments: [String], seconds: Int = 120) throws -> Int32? {
        let outcome = try BuiltRastro.run(arguments, seconds: seconds)
        return outcome.finished ? outcome.status : nil
    }

    @Test func everyReportAnswersWhileAWriterHoldsTheLock() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        let store = try Store(directory: data)
        let stream = StreamFixtures.generated(scans: 2_000, seed: 3)
        _ = try store.ingest(StreamFixtures.batch(stream.clean))
        let trackingID = String(stream.clean[0].split(separator: ",")[0])

        // A writer stopped mid-commit: a write transaction held open until the readers are done.
        let release = Monitor(false)
        let holding = Monitor(false)
        let writer = OwnedThread(name: "test-writer") {
            try? store.environment.write { _ in
                holding.withLock { $0 = true }
                release.withLock(when: { $0 }) { _, _ in }
            }
        }
        holding.withLock(when: { $0 }) { _, _ in }
        defer {
            release.withLock { $0 = true }
            writer.join()
        }
        let commands: [[String]] = [
            ["info"], ["trace", trackingID], ["productivity", "--by", "messenger"], ["compare", "--by", "work_center"],
            ["durations", "--from-event", "picked_up", "--to-event", "delivered"], ["returns", "--by", "reason"],
            ["states"], ["overdue", "--event", "out_for_delivery", "--older-than", "24h"], ["export"], ["audit"],
            ["token", "list"],
        ]
        for command in commands {
            #expect(try Self.run(command + ["--data", data]) == 0, "rastro \(command.joined(separator: " ")) waited for the writer or failed")
        }
    }
}
