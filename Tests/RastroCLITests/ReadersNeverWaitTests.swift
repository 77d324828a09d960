import Foundation
import RastroPrimitives
import RastroStore
import RastroTestSupport
import Testing

/// Read commands open the store read-only: while another process's writer holds LMDB's write lock mid-commit, every
/// report still answers (a read-write open would create its databases in a write transaction and wait for the lock).
@Suite(.serialized)
struct ReadersNeverWaitTests {
    static let binary = String(#filePath).components(separatedBy: "/Tests/").first! + "/.build/debug/rastro"

    /// Runs the built `rastro` with `arguments`; its exit status, or `nil` if it had not finished within `seconds` (it
    /// is then killed). The limit only detects a hang: an answer takes milliseconds.
    static func run(_ arguments: [String], seconds: Int = 120) throws -> Int32? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<(seconds * 20) where process.isRunning { usleep(50_000) }
        guard !process.isRunning else {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
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
