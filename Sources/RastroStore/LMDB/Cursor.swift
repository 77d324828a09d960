#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore
import RastroPrimitives
internal import CLMDB

/// A cursor over one database, valid only inside ``Transaction/withCursor(_:_:)``.
///
/// Positioning calls return the entry under the cursor, or `nil` at the end; the buffers are valid until the cursor
/// moves or the transaction writes.
public struct Cursor {
    let handle: OpaquePointer
    let database: Database

    public typealias Entry = (key: ByteView, value: ByteView)

    /// The first entry whose key is ≥ `key` (`MDB_SET_RANGE`).
    public mutating func seek(atOrAfter key: ByteView) throws(LMDBError) -> Entry? {
        var keyValue = MDB_val(borrowing: key)
        return try get(&keyValue, MDB_SET_RANGE, "MDB_SET_RANGE")
    }

    /// The first entry whose key is ≥ `key` (`MDB_SET_RANGE`).
    public mutating func seek(atOrAfter key: Key) throws(LMDBError) -> Entry? {
        var result: Result<Entry?, LMDBError> = .success(nil)
        key.withBytes { bytes in
            do throws(LMDBError) { result = .success(try seek(atOrAfter: bytes)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// The first entry (`MDB_FIRST`).
    public mutating func first() throws(LMDBError) -> Entry? {
        var keyValue = MDB_val()
        return try get(&keyValue, MDB_FIRST, "MDB_FIRST")
    }

    /// The last entry (`MDB_LAST`).
    public mutating func last() throws(LMDBError) -> Entry? {
        var keyValue = MDB_val()
        return try get(&keyValue, MDB_LAST, "MDB_LAST")
    }

    /// The next entry (`MDB_NEXT`).
    public mutating func next() throws(LMDBError) -> Entry? {
        var keyValue = MDB_val()
        return try get(&keyValue, MDB_NEXT, "MDB_NEXT")
    }

    /// The previous entry (`MDB_PREV`).
    public mutating func previous() throws(LMDBError) -> Entry? {
        var keyValue = MDB_val()
        return try get(&keyValue, MDB_PREV, "MDB_PREV")
    }

    /// The entry under the cursor (`MDB_GET_CURRENT`).
    public mutating func current() throws(LMDBError) -> Entry? {
        var keyValue = MDB_val()
        return try get(&keyValue, MDB_GET_CURRENT, "MDB_GET_CURRENT")
    }

    private mutating func get(_ keyValue: inout MDB_val, _ operation: MDB_cursor_op, _ name: String) throws(LMDBError) -> Entry? {
        var value = MDB_val()
        let code = mdb_cursor_get(handle, &keyValue, &value, operation)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get(\(database.name), \(name))")
        return (keyValue.view, value.view)
    }

    /// Calls `body` for each entry from the first key ≥ `start` while keys are < `end` (or to the end), in key order.
    /// `body` returns `false` to stop.
    public mutating func forEach(from start: Key, before end: Key?, _ body: (Entry) throws -> Bool) throws {
        var entry = try seek(atOrAfter: start)
        while let current = entry {
            if let end, end.withBytes({ current.key.compare($0) >= 0 }) { return }
            if try !body(current) { return }
            entry = try next()
        }
    }
}

extension MDB_val {
    /// An `MDB_val` pointing at a view's bytes, for a call made while the view is lent. LMDB does not write through
    /// a key or a value it is given.
    init(borrowing view: ByteView) {
        self = view.withUnsafeBytes { MDB_val(mv_size: $0.count, mv_data: UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
    }

    /// The bytes LMDB returned, valid until the transaction writes or ends (LMDB's rule for returned values).
    var view: ByteView { ByteView(borrowing: UnsafeRawBufferPointer(start: mv_data, count: mv_size)) }
}
