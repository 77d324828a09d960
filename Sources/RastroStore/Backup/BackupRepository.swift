#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import Synchronization
import RastroCore
import RastroPrimitives

/// A backup directory: content-addressed pieces of a store's records and a hash-chained manifest per backup
/// (docs/operations.md §1).
///
/// ```
/// BACKUPDIR/
///   rastro-backup             the directory's header: format, whether it is encrypted, the key's check value
///   pieces/ab/ab12…ef         one piece: a run of records, zstd-compressed, sealed when encrypted; named by its id
///   backups/000001            the manifest of backup 1: its pieces in order, counts, the previous manifest's hash
/// ```
///
/// A piece's id is the SHA-256 of its records (with a key, an HMAC-SHA-256 under a key derived from it, so that ids
/// say nothing of the content), so a backup writes only the pieces no earlier backup wrote: the first backup is full,
/// each later one stores what changed. A backup exists once its manifest is written, after every piece it names is on
/// disk; an interrupted backup leaves only pieces no manifest names.
public final class BackupRepository: Sendable {
    public static let headerName = "rastro-backup"
    /// The format new backup directories get: 2 adds pieces stored as deltas. Format 1 directories are read and
    /// extended without deltas.
    public static let format = 2
    static let formats = 1...2

    public let path: String
    public let encrypted: Bool
    /// This directory's format (``formats``): pieces are written as deltas from format 2 on.
    let format: Int
    let keys: BackupKeys?
    /// Piece directories written to since their last sync.
    let touchedDirectories = Mutex<Set<String>>([])

    /// Opens the backup directory at `path`; with `create`, makes it (encrypted when `key` is given) if it does not
    /// exist or is empty.
    public init(path: String, key: BackupKey?, create: Bool) throws {
        self.path = path
        let headerPath = path + "/" + Self.headerName
        let keys = key.map(BackupKeys.init)
        if !FileManager.default.fileExists(atPath: headerPath) {
            guard create else { throw BackupError("\(path) is not a Rastro backup directory (no \(Self.headerName) file)") }
            if FileManager.default.fileExists(atPath: path) {
                let contents = try FileManager.default.contentsOfDirectory(atPath: path)
                guard contents.isEmpty else {
                    throw BackupError("\(path) is not empty and is not a Rastro backup directory: back up into a new or empty directory")
                }
            }
            try Store.makeDirectory(path)
            try Store.makeDirectory(path + "/pieces")
            try Store.makeDirectory(path + "/backups")
            let header = Header(format: Self.format, encrypted: keys != nil, keyCheck: keys?.check)
            try BackupFiles.writeDurably(path: headerPath, bytes: Array(try JSONEncoder().encode(header)))
        }
        guard let data = FileManager.default.contents(atPath: headerPath),
            let header = try? JSONDecoder().decode(Header.self, from: data)
        else { throw BackupError("\(headerPath) is damaged: it is not a backup directory header") }
        guard Self.formats.contains(header.format) else {
            throw BackupError("\(path) has backup format \(header.format); this rastro reads formats \(Self.formats.lowerBound)–\(Self.formats.upperBound)")
        }
        format = header.format
        if header.encrypted {
            guard let keys else { throw BackupError("\(path) is encrypted: give its key (--key FILE)") }
            guard keys.check == header.keyCheck else {
                throw BackupError("the key does not open \(path): it is not the key its backups were encrypted with")
            }
        } else if keys != nil {
            throw BackupError("\(path) is not encrypted: it was created without a key, so a key cannot open it (leave --key out)")
        }
        encrypted = header.encrypted
        self.keys = keys
    }

    struct Header: Codable {
        var format: Int
        var encrypted: Bool
        var keyCheck: String?

        enum CodingKeys: String, CodingKey {
            case format, encrypted
            case keyCheck = "key_check"
        }
    }

    // MARK: Pieces

    /// The id of a piece holding `records`.
    func pieceID(_ records: ByteView) -> String {
        records.withUnsafeBytes { bytes in
            if let keys {
                return Hex.string(HMAC<SHA256>.authenticationCode(for: bytes, using: keys.identity))
            }
            return Hex.string(SHA256.hash(data: bytes))
        }
    }

    func piecePath(_ id: String) -> String { "\(path)/pieces/\(id.prefix(2))/\(id)" }

    func hasPiece(_ id: String) -> Bool { access(piecePath(id), F_OK) == 0 }

    /// A piece's records, and how many deltas lie between it and a whole piece (0: it is whole).
    struct StoredPiece {
        var records: [UInt8]
        var depth: Int
    }

    /// Deltas a piece may lie on top of: restoring a piece reads at most this many bases first.
    static let maximumDeltaDepth = 8

    /// Writes a piece, synced (a manifest names only pieces on disk; ``syncPieceDirectories()`` makes their names
    /// durable), and returns its size on disk.
    ///
    /// With a `base` — the piece that held the same keys in the previous backup — the records are also compressed
    /// against the base's, and stored so when that is smaller: a trace block that gained a few scans then costs what
    /// it gained, not the whole block again.
    func writePiece(id: String, records: ByteView, zstd: Zstd, base: (id: String, piece: StoredPiece)? = nil) throws -> Int {
        let whole = ByteWriter(reservingCapacity: records.count / 3 + 64)
        whole.uint32BigEndian(UInt32(records.count))
        zstd.compress(records, appendingTo: whole)
        var body = whole.bytes
        var magic = BackupFiles.pieceMagic
        if let base, format >= 2, base.piece.depth < Self.maximumDeltaDepth, let baseID = Hex.bytes(base.id) {
            let delta = ByteWriter(reservingCapacity: body.count + 64)
            delta.append(baseID)
            delta.byte(UInt8(base.piece.depth + 1))
            delta.uint32BigEndian(UInt32(records.count))
            base.piece.records.withByteView { zstd.compress(records, dictionary: $0, appendingTo: delta) }
            if delta.count < whole.count {
                body = delta.bytes
                magic = BackupFiles.deltaMagic
            }
        }
        let file = magic + (try seal(body, context: "piece " + id))
        let directory = "\(path)/pieces/\(id.prefix(2))"
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw BackupError("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        try BackupFiles.write(path: piecePath(id), bytes: file, sync: true)
        touchedDirectories.withLock { _ = $0.insert(directory) }
        return file.count
    }

    /// The records of piece `id`, checked: the file opens (with the key, authenticated), decompresses to the length it
    /// states, and its records hash to its name. Any failure names the piece.
    func readPiece(_ id: String, zstd: Zstd) throws -> [UInt8] {
        try readStoredPiece(id, zstd: zstd).records
    }

    /// ``readPiece(_:zstd:)`` with the piece's delta depth; a delta's base is read (and checked) first, and must lie
    /// exactly one delta below it, so that a chain of bases is finite and never loops.
    func readStoredPiece(_ id: String, zstd: Zstd, depthAtMost: Int = BackupRepository.maximumDeltaDepth) throws -> StoredPiece {
        let location = piecePath(id)
        guard let data = FileManager.default.contents(atPath: location) else {
            throw BackupError("piece \(id) is missing (\(location))")
        }
        let file = [UInt8](data)
        let isDelta = file.starts(with: BackupFiles.deltaMagic)
        guard let sealed = BackupFiles.contents(of: file, magic: isDelta ? BackupFiles.deltaMagic : BackupFiles.pieceMagic) else {
            throw BackupError("piece \(id) is damaged: it does not start as a piece does (truncated or overwritten)")
        }
        let body: [UInt8]
        do {
            body = try open(sealed, context: "piece " + id)
        } catch {
            throw BackupError("piece \(id) is damaged: \(error)")
        }
        var records: [UInt8] = []
        var depth = 0
        do {
            try body.withByteView { view in
                var reader = ByteReader(view)
                guard isDelta else {
                    let length = Int(try reader.uint32BigEndian())
                    try zstd.decompress(reader.rest, rawLength: length, into: &records)
                    return
                }
                let baseID = Hex.string(try reader.slice(32))
                depth = Int(try reader.byte())
                guard depth >= 1 && depth <= depthAtMost else {
                    throw BackupError("it lies \(depth) deltas deep, at most \(depthAtMost) may follow here")
                }
                let length = Int(try reader.uint32BigEndian())
                let base: StoredPiece
                do {
                    base = try readStoredPiece(baseID, zstd: zstd, depthAtMost: depth - 1)
                } catch {
                    throw BackupError("its base \(error)")
                }
                guard base.depth == depth - 1 else { throw BackupError("its base lies \(base.depth) deltas deep, not \(depth - 1)") }
                try base.records.withByteView { try zstd.decompress(reader.rest, rawLength: length, dictionary: $0, into: &records) }
            }
        } catch {
            throw BackupError("piece \(id) is damaged: \(error)")
        }
        let actual = records.withByteView { pieceID($0) }
        guard actual == id else {
            throw BackupError("piece \(id) is damaged or replaced: its records hash to \(actual.prefix(16))…, not to its name")
        }
        return StoredPiece(records: records, depth: depth)
    }

    /// Syncs the directories that gained pieces, so that their names survive a crash before a manifest names them.
    func syncPieceDirectories() throws {
        let directories = touchedDirectories.withLock { touched in
            defer { touched.removeAll() }
            return touched
        }
        for directory in directories.sorted() {
            let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY)
            guard descriptor >= 0 else { throw BackupError("cannot open \(directory): \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw BackupError("cannot sync \(directory): \(String(cString: strerror(errno)))") }
        }
    }

    // MARK: Manifests

    func manifestPath(_ sequence: Int) -> String { "\(path)/backups/\(BackupManifest.name(sequence))" }

    /// The manifests' sequence numbers, from their file names, ascending.
    func manifestSequences() throws -> [Int] {
        try FileManager.default.contentsOfDirectory(atPath: path + "/backups")
            .compactMap { $0.count == 6 ? Int($0) : nil }.sorted()
    }

    /// Writes backup `manifest` durably (the file, then its directory).
    func writeManifest(_ manifest: BackupManifest) throws -> [UInt8] {
        let body = try seal(Array(try manifest.encoded()), context: "manifest " + BackupManifest.name(manifest.sequence))
        let file = BackupFiles.manifestMagic + body
        let target = manifestPath(manifest.sequence)
        guard access(target, F_OK) != 0 else { throw BackupError("backup \(manifest.sequence) already exists in \(path)") }
        try BackupFiles.writeDurably(path: target, bytes: file)
        return file
    }

    /// The manifest of backup `sequence` and its file's bytes (whose SHA-256 the next manifest names), checked: it
    /// opens with the key under its own number (a manifest renamed to another number does not), and says it is that
    /// backup.
    func readManifest(_ sequence: Int) throws -> (manifest: BackupManifest, file: [UInt8]) {
        let name = BackupManifest.name(sequence)
        guard let data = FileManager.default.contents(atPath: manifestPath(sequence)) else {
            throw BackupError("backup \(sequence) is missing (\(manifestPath(sequence)))")
        }
        let file = [UInt8](data)
        guard let sealed = BackupFiles.contents(of: file, magic: BackupFiles.manifestMagic) else {
            throw BackupError("backup \(sequence) is damaged: its manifest does not start as a manifest does")
        }
        let body: [UInt8]
        do {
            body = try open(sealed, context: "manifest " + name)
        } catch {
            throw BackupError("backup \(sequence) is damaged or is another backup's manifest renamed: \(error)")
        }
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest.decode(Data(body))
        } catch {
            throw BackupError("backup \(sequence) is damaged: its manifest does not decode (\(error))")
        }
        guard manifest.sequence == sequence else {
            throw BackupError("backup \(sequence) holds the manifest of backup \(manifest.sequence): manifests were renamed or replayed")
        }
        return (manifest, file)
    }

    /// Every manifest from the first to `last` (default: the newest), with the chain checked: numbers without a gap
    /// from 1, each naming the SHA-256 of the one before.
    public func chain(upTo last: Int? = nil) throws -> [BackupManifest] { try checkedChain(upTo: last).manifests }

    /// ``chain(upTo:)`` and the hex SHA-256 of its last manifest's file (what the next backup names as previous).
    func checkedChain(upTo last: Int? = nil) throws -> (manifests: [BackupManifest], head: String) {
        let sequences = try manifestSequences()
        guard let newest = sequences.last else { throw BackupError("\(path) holds no backup yet") }
        let end = last ?? newest
        guard end >= 1 && end <= newest else {
            throw BackupError("no backup \(end) in \(path): its backups are 1 to \(newest)")
        }
        var manifests: [BackupManifest] = []
        var previousHash: String? = nil
        for sequence in 1...end {
            guard sequences.contains(sequence) else {
                throw BackupError("backup \(sequence) is missing: the chain from backup 1 to \(end) is broken there")
            }
            let (manifest, file) = try readManifest(sequence)
            guard manifest.previous == previousHash else {
                throw BackupError(
                    "backup \(sequence) does not follow backup \(sequence - 1): it names a previous manifest whose SHA-256 is "
                        + "\(manifest.previous?.prefix(16) ?? "none")…, the one there hashes to \(previousHash?.prefix(16) ?? "none")…")
            }
            previousHash = Hex.string(SHA256.hash(data: file))
            manifests.append(manifest)
        }
        return (manifests, previousHash!)
    }

    // MARK: Sealing

    /// With a key: ChaCha20-Poly1305 under the sealing key, authenticating `context` (what the bytes are and their
    /// name, so that a sealed piece or manifest cannot be passed off as another). Without: the bytes as they are.
    func seal(_ bytes: [UInt8], context: String) throws -> [UInt8] {
        guard let keys else { return bytes }
        return Array(try ChaChaPoly.seal(bytes, using: keys.sealing, authenticating: Array(context.utf8)).combined)
    }

    func open(_ bytes: [UInt8], context: String) throws -> [UInt8] {
        guard let keys else { return bytes }
        do {
            let box = try ChaChaPoly.SealedBox(combined: bytes)
            return Array(try ChaChaPoly.open(box, using: keys.sealing, authenticating: Array(context.utf8)))
        } catch {
            throw BackupError("it does not authenticate under the key (changed, truncated or not this one)")
        }
    }
}

/// A backup key: 256 random bits, kept as 64 hex digits in a file of mode 0600 (`rastro backup keygen`).
public struct BackupKey: Sendable {
    let bytes: [UInt8]

    /// A new random key.
    public static func generate() -> BackupKey {
        BackupKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The key in the file at `path`.
    public init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw BackupError("cannot read the key file \(path)") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Hex.bytes(text), bytes.count == 32 else {
            throw BackupError("\(path) is not a backup key: expected 64 hex digits (rastro backup keygen writes one)")
        }
        self.bytes = bytes
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Writes the key to a new file at `path`, mode 0600 (an existing file is not overwritten).
    public func write(to path: String) throws {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw BackupError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let text = Array((Hex.string(bytes) + "\n").utf8)
        guard Glibc.write(descriptor, text, text.count) == text.count, fsync(descriptor) == 0 else {
            throw BackupError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// The keys derived from a backup key (HKDF-SHA-256), one per use: sealing, naming pieces, and a check value stored
/// in the directory's header that tells a wrong key from damage.
struct BackupKeys: Sendable {
    let sealing: SymmetricKey
    let identity: SymmetricKey
    let check: String

    init(_ key: BackupKey) {
        let master = SymmetricKey(data: key.bytes)
        sealing = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("rastro backup sealing v1".utf8), outputByteCount: 32)
        identity = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("rastro backup piece ids v1".utf8), outputByteCount: 32)
        let checkKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("rastro backup key check v1".utf8), outputByteCount: 32)
        check = Hex.string(HMAC<SHA256>.authenticationCode(for: Array("rastro backup".utf8), using: checkKey))
    }
}

/// What a backup, a verification or a restore found wrong, in words that name the backup or piece.
public struct BackupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

enum BackupFiles {
    static let pieceMagic: [UInt8] = Array("RSTP\u{1}".utf8)
    /// A piece stored as a delta against an earlier piece (backup format 2).
    static let deltaMagic: [UInt8] = Array("RSTD\u{1}".utf8)
    static let manifestMagic: [UInt8] = Array("RSTM\u{1}".utf8)

    /// What follows `magic` in `file`, or `nil` when the file does not start with it or holds nothing after it.
    static func contents(of file: [UInt8], magic: [UInt8]) -> [UInt8]? {
        guard file.count > magic.count, file.starts(with: magic) else { return nil }
        return Array(file.dropFirst(magic.count))
    }

    /// A path's directory ("." for a bare name) and last component, trailing slashes aside.
    static func split(_ path: String) -> (parent: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let parent = trimmed[..<slash]
        return (parent.isEmpty ? "/" : String(parent), String(trimmed[trimmed.index(after: slash)...]))
    }

    /// Writes `bytes` to `path` through a temporary name and a rename, so that the name never holds a partial file.
    static func write(path: String, bytes: [UInt8], sync: Bool) throws {
        let temporary = path + ".partial"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw BackupError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw BackupError("cannot write \(temporary): \(reason)")
            }
            written += count
        }
        if sync && fsync(descriptor) != 0 {
            close(descriptor)
            throw BackupError("cannot sync \(temporary): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw BackupError("cannot rename \(temporary): \(String(cString: strerror(errno)))") }
    }

    /// ``write(path:bytes:sync:)`` with the file and its directory synced: the file is there after a crash.
    static func writeDurably(path: String, bytes: [UInt8]) throws {
        try write(path: path, bytes: bytes, sync: true)
        let directory = split(path).parent
        let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = fsync(descriptor)
    }
}

enum Hex {
    static func string<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func bytes(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        func value(_ character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        var index = 0
        while index < characters.count {
            guard let high = value(characters[index]), let low = value(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
