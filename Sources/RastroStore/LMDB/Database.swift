import RastroCore
internal import CLMDB

/// A named database inside an ``Environment`` (an `MDB_dbi`). Handles are opened once and shared by all threads.
public struct Database: Sendable, Hashable {
    let handle: MDB_dbi
    public let name: String
}
