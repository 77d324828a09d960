#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCSV
import RastroCore
import RastroPrimitives
import RastroStore

/// A watched folder of CSV files (`rastrod --inbox DIR`, docs/operations.md §5).
///
/// ```
/// DIR/            files arrive here, renamed in whole: NAME.csv (dot-files and other names are left alone)
/// DIR/processing/ the one file being imported, and its rejects so far
/// DIR/done/       NAME.csv, NAME.result.json, NAME.rejects.csv (when a row was refused)
/// DIR/failed/     NAME.csv, NAME.reason.txt
/// ```
///
/// A file is taken by renaming it into `processing/`; it leaves only once its result is written, renamed into `done/`
/// last. A file found in `processing/` at start was cut short by a stop or a crash, and is taken again before any
/// waiting file: its batches already stored answer from the store (``InboxFile/identity``), so nothing is stored or
/// counted twice.
public struct InboxDirectory: Sendable {
    public let path: String
    public var processing: String { path + "/processing" }
    public var done: String { path + "/done" }
    public var failed: String { path + "/failed" }

    /// Opens `path`, which must be a directory, and creates its three subdirectories, owner-only: the files moved
    /// into them hold scans.
    public init(path: String) throws(ImportError) {
        self.path = path
        guard Self.kind(path) == S_IFDIR else { throw ImportError(message: "inbox \(path) is not a directory") }
        for directory in [processing, done, failed] {
            guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                throw ImportError(message: "cannot create \(directory): \(String(cString: strerror(errno)))")
            }
            guard Self.kind(directory) == S_IFDIR else { throw ImportError(message: "\(directory) is not a directory") }
        }
    }

    /// Whether the inbox takes a file of this name: `*.csv` in any case, not hidden (a file being written under a
    /// temporary dot-name is renamed to its final name when complete).
    public static func takes(_ name: String) -> Bool {
        !name.hasPrefix(".") && name.lowercased().hasSuffix(".csv") && name.count > 4
    }

    /// The regular files waiting in the inbox that it takes, in name order (byte order of their UTF-8 names).
    public func waiting() throws(ImportError) -> [String] {
        try Self.names(in: path).filter { Self.takes($0) && Self.kind(path + "/" + $0) == S_IFREG }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The file to import next: the one a stop or a crash left in `processing/`, otherwise the first waiting file by
    /// name, moved into `processing/`. `nil` when there is none.
    public func next() throws(ImportError) -> InboxFile? {
        let left = try Self.names(in: processing).filter { Self.takes($0) && Self.kind(processing + "/" + $0) == S_IFREG }.sorted()
        if let name = left.first { return try InboxFile(name: name, directory: processing, resumed: true) }
        guard let name = try waiting().first else { return nil }
        guard rename(path + "/" + name, processing + "/" + name) == 0 else {
            throw ImportError(message: "cannot move \(name) into \(processing): \(String(cString: strerror(errno)))")
        }
        return try InboxFile(name: name, directory: processing, resumed: false)
    }

    /// Where a file's refused rows are written while it is imported.
    public func rejectsPath(_ file: InboxFile) -> String { processing + "/" + file.name + ".rejects.csv" }

    /// Moves a finished file into `done/` with its result (and its rejects when `hasRejects`); returns the name it got
    /// there: its own, or `stem-N.csv` when an earlier file of that name is already done. `result` makes the result's
    /// text given that name.
    @discardableResult
    public func finish(_ file: InboxFile, hasRejects: Bool, result: (String) -> String) throws(ImportError) -> String {
        let name = Self.freeName(file.name, in: done)
        let resultPath = processing + "/" + file.name + ".result.json"
        try Self.writeDurably(result(name), to: resultPath)
        if hasRejects { try Self.move(rejectsPath(file), to: done + "/" + name + ".rejects.csv") } else { unlink(rejectsPath(file)) }
        try Self.move(resultPath, to: done + "/" + name + ".result.json")
        // Last: until the file leaves processing/, a crash takes it again and rewrites the two above.
        try Self.move(file.path, to: done + "/" + name)
        return name
    }

    /// Moves a file that cannot be read into `failed/` beside `NAME.reason.txt`; returns the name it got there.
    @discardableResult
    public func fail(_ file: InboxFile, reason: String) throws(ImportError) -> String {
        let name = Self.freeName(file.name, in: failed)
        unlink(rejectsPath(file))
        try Self.writeDurably(reason + "\n", to: failed + "/" + name + ".reason.txt")
        try Self.move(file.path, to: failed + "/" + name)
        return name
    }

    // MARK: - Files

    /// `name`, or `stem-2.csv`, `stem-3.csv`, … when `directory` already holds it.
    static func freeName(_ name: String, in directory: String) -> String {
        guard Self.kind(directory + "/" + name) != nil else { return name }
        let dot = name.lastIndex(of: ".")!
        let stem = name[..<dot]
        let suffix = name[dot...]
        var number = 2
        while Self.kind(directory + "/\(stem)-\(number)\(suffix)") != nil { number += 1 }
        return "\(stem)-\(number)\(suffix)"
    }

    /// The file type bits of `path` (`S_IFREG`, `S_IFDIR`, …), not following a symbolic link; `nil` when absent.
    static func kind(_ path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode & S_IFMT
    }

    static func names(in directory: String) throws(ImportError) -> [String] {
        guard let stream = opendir(directory) else {
            throw ImportError(message: "cannot list \(directory): \(String(cString: strerror(errno)))")
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func move(_ from: String, to: String) throws(ImportError) {
        guard rename(from, to) == 0 else {
            throw ImportError(message: "cannot move \(from) to \(to): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `text` to `path` durably (a result must not survive a crash as an empty file).
    static func writeDurably(_ text: String, to path: String) throws(ImportError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw ImportError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            guard count > 0 else { throw ImportError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw ImportError(message: "cannot sync \(path): \(String(cString: strerror(errno)))") }
    }
}

/// A file the inbox took, in `processing/`.
public struct InboxFile: Sendable, Equatable {
    public var name: String
    public var path: String
    /// Whether a stop or a crash had left it in `processing/`.
    public var resumed: Bool
    public var size: Int
    /// Names this file's batches in the store across restarts: its name, device, inode, size and modification time,
    /// none of which a rename into `processing/` changes; another file of the same name differs in the rest.
    public var identity: UInt64

    init(name: String, directory: String, resumed: Bool) throws(ImportError) {
        self.name = name
        path = directory + "/" + name
        self.resumed = resumed
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw ImportError(message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        size = Int(status.st_size)
        var hash = FastHash.mix(UInt64(name.utf8.count))
        for byte in name.utf8 { hash = FastHash.combine(hash, UInt64(byte)) }
        for value in [
            UInt64(status.st_dev), UInt64(status.st_ino), UInt64(status.st_size), UInt64(bitPattern: Int64(status.st_mtim.tv_sec)),
            UInt64(bitPattern: Int64(status.st_mtim.tv_nsec)),
        ] {
            hash = FastHash.combine(hash, value)
        }
        identity = hash
    }
}
