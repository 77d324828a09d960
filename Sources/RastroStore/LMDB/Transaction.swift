import RastroCore
import RastroPrimitives
internal import CLMDB

/// A transaction, valid only inside the ``Environment/read(_:)`` or ``Environment/write(_:)`` closure that received
/// it. Every buffer it returns points into the map and is valid only until the next write or the end of the
/// transaction: decode or copy, never keep.
public struct Transaction {
    let handle: OpaquePointer
    public let isWritable: Bool
    /// The thread that began the transaction: LMDB lets only it use a write transaction (debug builds check).
    let owner: UInt

    init(handle: OpaquePointer, isWritable: Bool) {
        self.handle = handle
        self.isWritable = isWritable
        owner = ThreadIdentity.current
    }

    /// Stops a debug build when a write transaction is used off the thread that began it.
    @inline(__always)
    func assertOwned() {
        assert(!isWritable || owner == ThreadIdentity.current, "a write transaction used off the thread that began it")
    }

    /// Calls `body` with the value stored under `key`, or returns `nil` when there is none (`mdb_get`).
    @inlinable
    public func withValue<Result>(
        _ database: Database, _ key: Key, _ body: (ByteView) throws -> Result
    ) throws -> Result? {
        try key.withBytes { keyBytes in try withValue(database, keyBytes, body) }
    }

    /// Calls `body` with the value stored under raw `key`, or returns `nil` (`mdb_get`).
    public func withValue<Result>(
        _ database: Database, _ key: ByteView, _ body: (ByteView) throws -> Result
    ) throws -> Result? {
        var keyValue = MDB_val(borrowing: key)
        var value = MDB_val()
        let code = mdb_get(handle, database.handle, &keyValue, &value)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_get(\(database.name))")
        return try body(value.view)
    }

    /// Stores `value` under `key` (`mdb_put`); with `append`, `MDB_APPEND` (the key must sort after every key).
    public func put(_ database: Database, _ key: Key, _ value: ByteView, append: Bool = false) throws(LMDBError) {
        var result: LMDBError? = nil
        key.withBytes { keyBytes in
            do throws(LMDBError) { try put(database, keyBytes, value, append: append) } catch { result = error }
        }
        if let result { throw result }
    }

    /// Stores `value` under raw `key` (`mdb_put`).
    public func put(
        _ database: Database, _ key: ByteView, _ value: ByteView, append: Bool = false
    ) throws(LMDBError) {
        precondition(isWritable, "put in a read-only transaction")
        assertOwned()
        var keyValue = MDB_val(borrowing: key)
        var dataValue = MDB_val(borrowing: value)
        try check(
            mdb_put(handle, database.handle, &keyValue, &dataValue, append ? UInt32(MDB_APPEND) : 0),
            "mdb_put(\(database.name))")
    }

    /// Stores an array's bytes under `key`.
    public func put(_ database: Database, _ key: Key, _ value: [UInt8], append: Bool = false) throws(LMDBError) {
        var result: LMDBError? = nil
        value.withByteView { bytes in
            do throws(LMDBError) { try put(database, key, bytes, append: append) } catch { result = error }
        }
        if let result { throw result }
    }

    /// Stores the bytes a ``ByteWriter`` holds under `key`.
    public func put(_ database: Database, _ key: Key, _ writer: ByteWriter, append: Bool = false) throws(LMDBError) {
        var result: LMDBError? = nil
        writer.withBytes { bytes in
            do throws(LMDBError) { try put(database, key, bytes, append: append) } catch { result = error }
        }
        if let result { throw result }
    }

    /// Deletes `key`; returns whether it existed (`mdb_del`).
    @discardableResult
    public func delete(_ database: Database, _ key: Key) throws(LMDBError) -> Bool {
        precondition(isWritable, "delete in a read-only transaction")
        assertOwned()
        var code: Int32 = 0
        key.withBytes { keyBytes in
            var keyValue = MDB_val(borrowing: keyBytes)
            code = mdb_del(handle, database.handle, &keyValue, nil)
        }
        if code == MDB_NOTFOUND { return false }
        try check(code, "mdb_del(\(database.name))")
        return true
    }

    /// Runs `body` with a cursor over `database` (`mdb_cursor_open` … `mdb_cursor_close`).
    public func withCursor<Result>(_ database: Database, _ body: (inout Cursor) throws -> Result) throws -> Result {
        var cursorHandle: OpaquePointer?
        try check(mdb_cursor_open(handle, database.handle, &cursorHandle), "mdb_cursor_open(\(database.name))")
        defer { mdb_cursor_close(cursorHandle) }
        var cursor = Cursor(handle: cursorHandle!, database: database)
        return try body(&cursor)
    }

    /// Entries and pages of a database (`mdb_stat`).
    public func statistics(_ database: Database) throws(LMDBError) -> DatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(handle, database.handle, &stat), "mdb_stat(\(database.name))")
        return DatabaseStatistics(
            entries: Int(stat.ms_entries), depth: Int(stat.ms_depth), branchPages: Int(stat.ms_branch_pages),
            leafPages: Int(stat.ms_leaf_pages), overflowPages: Int(stat.ms_overflow_pages), pageBytes: Int(stat.ms_psize))
    }
}

/// What `mdb_stat` reports for one database.
public struct DatabaseStatistics: Sendable, Equatable {
    public var entries: Int
    public var depth: Int
    public var branchPages: Int
    public var leafPages: Int
    public var overflowPages: Int
    public var pageBytes: Int

    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageBytes }
}
