import RastroStore

/// What a report's rows are keyed by.
public enum GroupBy: String, Sendable, CaseIterable {
    case messenger
    case workCenter = "work_center"
    case reason

    /// The column name of the key.
    public var column: String { rawValue }

    var entity: EntityKind {
        switch self {
        case .messenger: .messenger
        case .workCenter: .workCenter
        case .reason: .reason
        }
    }
}

/// A report asked about a name the store has never seen.
public struct UnknownName: Error, CustomStringConvertible, Sendable {
    public var kind: String
    public var name: String

    public var description: String { "no \(kind) named '\(name)' in this data directory" }
}

extension StoreReader {
    /// The id of a work centre, messenger or reason given on the command line.
    func requireID(_ kind: EntityKind, _ name: String) throws -> UInt32 {
        guard let id = try id(kind, name) else { throw UnknownName(kind: kind.name, name: name) }
        return id
    }
}
