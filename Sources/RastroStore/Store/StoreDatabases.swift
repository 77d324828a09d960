import RastroCore
import RastroPrimitives

/// The named databases of a store (docs/storage.md §2).
struct StoreDatabases: Sendable {
    let meta: Database
    let entities: Database
    let names: Database
    let items: Database
    let seqs: Database
    let cells: Database
    let cellSummaries: Database
    let dayStates: Database
    let durations: Database
    let current: Database
    let touched: Database
    let tokens: Database
    let tokenHashes: Database
    let audit: Database
    let replays: Database

    init(environment: Environment, create: Bool) throws {
        meta = try environment.database("meta", create: create)
        entities = try environment.database("entities", create: create)
        names = try environment.database("names", create: create)
        items = try environment.database("items", create: create)
        seqs = try environment.database("seqs", create: create)
        cells = try environment.database("cells", create: create)
        cellSummaries = try environment.database("cellsums", create: create)
        dayStates = try environment.database("daystates", create: create)
        durations = try environment.database("durations", create: create)
        current = try environment.database("current", create: create)
        touched = try environment.database("touched", create: create)
        tokens = try environment.database("tokens", create: create)
        tokenHashes = try environment.database("tokenhashes", create: create)
        audit = try environment.database("audit", create: create)
        replays = try environment.database("acks", create: create)
    }

    /// The counters as of `transaction`'s snapshot.
    func counters(in transaction: Transaction) throws -> Counters {
        try transaction.withValue(meta, MetaKey.key(MetaKey.counters)) { try Counters(decoding: $0) } ?? Counters()
    }

    var all: [Database] {
        [meta, entities, names, items, seqs, cells, cellSummaries, dayStates, durations, current, touched, tokens, tokenHashes, audit, replays]
    }
}

/// Keys of the `meta` database.
enum MetaKey {
    static let schema = "schema"
    static let timeZone = "timezone"
    static let counters = "counters"

    static func key(_ name: String) -> Key {
        name.withByteView { Key($0) }
    }
}
