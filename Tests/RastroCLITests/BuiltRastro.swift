import Foundation
import RastroTestSupport

/// The `rastro` binary `swift build` made, run as an operator runs it.
enum BuiltRastro {
    static let path = String(#filePath).components(separatedBy: "/Tests/").first! + "/.build/debug/rastro"

    struct Outcome {
        /// False when it had not finished within the time given (it was then killed).
        var finished: Bool
        /// False when it died of a signal rather than exiting.
        var exited: Bool
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `rastro arguments`; with `seconds`, kills it if it has not finished by then (the limit only detects a
    /// hang: an answer takes milliseconds).
    static func run(_ arguments: [String], seconds: Int? = nil) throws -> Outcome {
        let directory = TemporaryDirectory()
        let outputPath = directory.path + "/stdout", errorPath = directory.path + "/stderr"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
        var finished = true
        if let seconds {
            for _ in 0..<(seconds * 20) where process.isRunning { usleep(50_000) }
            if process.isRunning {
                process.terminate()
                finished = false
            }
        }
        process.waitUntilExit()
        return Outcome(
            finished: finished, exited: process.terminationReason == .exit, status: process.terminationStatus,
            output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }
}
