import ArgumentParser
import RastroCore
import RastroPrimitives
import RastroStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `--data DIR`, shared by every command that reads or writes a store.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (default: $RASTRO_DATA, else ./rastro-data).", valueName: "DIR"))
    var data: String?

    var directory: String {
        if let data { return data }
        if let environment = getenv("RASTRO_DATA") { return String(cString: environment) }
        return "./rastro-data"
    }

    /// Opens an existing store for reading: the environment read-only (`MDB_RDONLY`) and no writer, so a reader never
    /// creates a database, never takes a write transaction, and never waits for a writer (a `rastrod` stopped
    /// mid-commit included).
    func openForReading() throws -> Store {
        try Store(directory: directory, create: false, readOnly: true)
    }

    /// Opens an existing store to change it (administrative writes: revoking a token).
    func openForWriting() throws -> Store {
        try Store(directory: directory, create: false, readOnly: false)
    }
}

/// The whole contents of a file, or `nil` when it does not exist.
func readFileIfPresent(_ path: String) throws -> String? {
    try Store.readFile(path)
}

/// Writes a whole file.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let file = fopen(path, "wb") else {
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else {
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}

/// Standard output and error without Foundation. Tests capture both through ``capture``.
public enum Console {
    /// When set (by tests, for the current task), output goes here instead of file descriptors 1 and 2.
    @TaskLocal public static var capture: ConsoleCapture?

    static func out(_ text: String) {
        if let capture {
            capture.append(text, error: false)
            return
        }
        text.withByteView { writeAll(1, $0) }
    }

    static func error(_ text: String) {
        if let capture {
            capture.append(text, error: true)
            return
        }
        text.withByteView { writeAll(2, $0) }
    }

    static var errorIsTerminal: Bool { isatty(2) != 0 }
}

/// Wall-clock milliseconds since the Unix epoch.
func nowMilliseconds() -> Int64 { SystemClock.wallMilliseconds }

/// Monotonic seconds, for rates.
func monotonicSeconds() -> Double { SystemClock.monotonicSeconds }

/// Writes every byte to a file descriptor, retrying short writes.
func writeAll(_ descriptor: Int32, _ bytes: ByteView) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}

/// What a command printed, for tests.
public final class ConsoleCapture: Sendable {
    private struct Text {
        var output = ""
        var error = ""
    }

    private let text = Mutex(Text())

    public init() {}

    func append(_ addition: String, error: Bool) {
        text.withLock { text in
            if error { text.error += addition } else { text.output += addition }
        }
    }

    public var standardOutput: String { text.withLock { $0.output } }

    public var standardError: String { text.withLock { $0.error } }
}
