import RastroCore
internal import CLMDB

/// A failed LMDB call: the C function, the result code and its C name, e.g.
/// `mdb_put: MDB_MAP_FULL (-30792): Environment mapsize limit reached`.
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The result code: an `MDB_*` code or an `errno` value.
    public var code: Int32
    /// The C function that returned it.
    public var function: String

    public init(code: Int32, function: String) {
        self.code = code
        self.function = function
    }

    /// The C name of the code (`MDB_NOTFOUND`, `ENOSPC`, …), as LMDB's documentation spells it.
    public var name: String {
        switch code {
        case MDB_KEYEXIST: "MDB_KEYEXIST"
        case MDB_NOTFOUND: "MDB_NOTFOUND"
        case MDB_PAGE_NOTFOUND: "MDB_PAGE_NOTFOUND"
        case MDB_CORRUPTED: "MDB_CORRUPTED"
        case MDB_PANIC: "MDB_PANIC"
        case MDB_VERSION_MISMATCH: "MDB_VERSION_MISMATCH"
        case MDB_INVALID: "MDB_INVALID"
        case MDB_MAP_FULL: "MDB_MAP_FULL"
        case MDB_DBS_FULL: "MDB_DBS_FULL"
        case MDB_READERS_FULL: "MDB_READERS_FULL"
        case MDB_TLS_FULL: "MDB_TLS_FULL"
        case MDB_TXN_FULL: "MDB_TXN_FULL"
        case MDB_CURSOR_FULL: "MDB_CURSOR_FULL"
        case MDB_PAGE_FULL: "MDB_PAGE_FULL"
        case MDB_MAP_RESIZED: "MDB_MAP_RESIZED"
        case MDB_INCOMPATIBLE: "MDB_INCOMPATIBLE"
        case MDB_BAD_RSLOT: "MDB_BAD_RSLOT"
        case MDB_BAD_TXN: "MDB_BAD_TXN"
        case MDB_BAD_VALSIZE: "MDB_BAD_VALSIZE"
        case MDB_BAD_DBI: "MDB_BAD_DBI"
        case 2: "ENOENT"
        case 5: "EIO"
        case 12: "ENOMEM"
        case 13: "EACCES"
        case 22: "EINVAL"
        case 28: "ENOSPC"
        case 30: "EROFS"
        case 11: "EAGAIN"
        default: "code \(code)"
        }
    }

    /// LMDB's own message for the code (`mdb_strerror`).
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(function): \(name) (\(code)): \(message)" }

    /// Whether the write failed only because the map is full (the environment grows and retries).
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// Whether another process grew the map (the environment adopts the new size and retries).
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
}

/// Throws an ``LMDBError`` for a non-zero result code.
@inline(__always)
func check(_ code: Int32, _ function: @autoclosure () -> String) throws(LMDBError) {
    if code != 0 { throw LMDBError(code: code, function: function()) }
}
