import Foundation

/// One backup: the pieces that hold the store's records at that moment, in order, and what they add up to. Each
/// manifest names the SHA-256 of the one before it, so the backups form a chain that a missing, changed, reordered or
/// replayed manifest breaks.
public struct BackupManifest: Codable, Sendable, Equatable {
    public var format: Int
    /// The backup's number in its directory, from 1: what `--at` takes.
    public var sequence: Int
    /// Hex SHA-256 of the previous backup's manifest file; `nil` for backup 1.
    public var previous: String?
    /// When the backup's read transaction began, UTC milliseconds.
    public var createdAt: Int64
    /// The store's storage schema and site time zone.
    public var schema: UInt32
    public var timeZone: String
    /// Scans stored (accepted) as of the backup.
    public var scans: UInt64
    /// The first backup in its directory wrote every piece; each later one only those no earlier one wrote.
    public var full: Bool
    /// The pieces, in record order: restoring writes their records in this order.
    public var pieces: [String]
    /// Records per database, in the order the records come.
    public var databases: [DatabaseCount]
    /// Bytes of every record (keys and values), as the store holds them.
    public var recordBytes: Int
    /// Pieces and bytes this backup wrote; the rest it shares with earlier backups.
    public var newPieces: Int
    public var newBytes: Int
    /// Bytes on disk of every piece it names.
    public var totalBytes: Int

    public struct DatabaseCount: Codable, Sendable, Equatable {
        public var name: String
        public var records: Int
    }

    static func name(_ sequence: Int) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    enum CodingKeys: String, CodingKey {
        case format, sequence, previous, schema, scans, full, pieces, databases
        case createdAt = "created_at"
        case timeZone = "time_zone"
        case recordBytes = "record_bytes"
        case newPieces = "new_pieces"
        case newBytes = "new_bytes"
        case totalBytes = "total_bytes"
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    static func decode(_ data: Data) throws -> BackupManifest {
        try JSONDecoder().decode(BackupManifest.self, from: data)
    }
}
