#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore
import RastroPrimitives
import Synchronization
internal import CLMDB

/// An LMDB environment: one memory-mapped file, many named databases, one writer at a time, readers that never
/// block and are never blocked.
///
/// Access is closure-scoped, as in GRDB: ``read(_:)`` runs a read-only transaction, ``write(_:)`` a write
/// transaction that commits when the closure returns and aborts when it throws. Bytes LMDB hands out are valid only
/// inside the closure.
///
/// Durability: the environment is opened without `MDB_NOSYNC`, `MDB_NOMETASYNC`, `MDB_MAPASYNC` or `MDB_WRITEMAP`,
/// so when ``write(_:)`` returns, the transaction is on disk ("`mdb_txn_commit` … the transaction's data is
/// synced to disk" in LMDB's documentation). Rastro acknowledges nothing before that.
///
/// The map grows by itself: a write that fails with `MDB_MAP_FULL` is aborted, the map doubles (up to
/// `maximumMapBytes`) and the closure runs again on a fresh transaction. The closure must therefore keep its side
/// effects inside the transaction until it returns.
public final class Environment: @unchecked Sendable {
    // @unchecked Sendable: `handle` is an MDB_env, which LMDB lets every thread use; the map size changes only under
    // `resizeLock` held exclusively, and the database handles only under `databases`' mutex.
    let handle: OpaquePointer
    public let path: String
    public let maximumMapBytes: Int
    /// The database's page size (`mdb_env_stat`), fixed when the environment is opened.
    let pageBytes: Int
    /// Held shared by every transaction and exclusively while the map is resized: LMDB requires that no transaction of
    /// this process be active during `mdb_env_set_mapsize`.
    let resizeLock = ReadWriteLock()
    /// Handles opened so far, by name: `mdb_dbi_open` must not run in two threads at once.
    private let databases = Mutex<[String: Database]>([:])

    /// Opens (creating if needed) the environment in directory `path`.
    ///
    /// The corresponding C functions are `mdb_env_create`, `mdb_env_set_maxdbs`, `mdb_env_set_mapsize` and
    /// `mdb_env_open`.
    public init(path: String, maxDatabases: Int, initialMapBytes: Int, maximumMapBytes: Int, readOnly: Bool = false) throws(LMDBError) {
        var environment: OpaquePointer?
        try check(mdb_env_create(&environment), "mdb_env_create")
        guard let environment else { throw LMDBError(code: 12, function: "mdb_env_create") }
        do throws(LMDBError) {
            try check(mdb_env_set_maxdbs(environment, MDB_dbi(maxDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(environment, 510), "mdb_env_set_maxreaders")
            try check(mdb_env_set_mapsize(environment, initialMapBytes), "mdb_env_set_mapsize")
            // MDB_NOTLS: a read transaction may be used from any thread (Swift tasks hop threads).
            // MDB_NORDAHEAD: reads are random block lookups; read-ahead only pollutes the page cache.
            var flags = UInt32(MDB_NOTLS | MDB_NORDAHEAD)
            if readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(environment, path, flags, 0o600), "mdb_env_open(\(path))")
        } catch {
            mdb_env_close(environment)
            throw error
        }
        self.handle = environment
        self.path = path
        self.maximumMapBytes = maximumMapBytes
        Self.openInThisProcess.withLock { $0[Self.canonical(path), default: 0] += 1 }
        var stat = MDB_stat()
        mdb_env_stat(environment, &stat)
        self.pageBytes = Int(stat.ms_psize)
        // Another process may have grown the map beyond our initial size: adopt the size its last commit recorded,
        // or keep ours if that is smaller (adopting alone would shrink a map opened larger than the file's record).
        mdb_env_set_mapsize(environment, 0)
        if mapBytes < initialMapBytes { mdb_env_set_mapsize(environment, initialMapBytes) }
    }

    deinit {
        mdb_env_close(handle)
        Self.openInThisProcess.withLock { open in
            let key = Self.canonical(path)
            open[key, default: 1] -= 1
            if open[key] == 0 { open[key] = nil }
        }
    }

    /// Environments this process holds open, by directory: LMDB's file locks do not tell a process about its own.
    private static let openInThisProcess = Mutex<[String: Int]>([:])

    /// Whether this process holds the environment in `directory` open.
    static func isOpenInThisProcess(_ directory: String) -> Bool {
        openInThisProcess.withLock { $0[canonical(directory)] != nil }
    }

    private static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Writes a compacted copy of the environment in `directory` into the empty directory `target`
    /// (`mdb_env_copy2` with `MDB_CP_COMPACT`: free pages left out, the B-trees renumbered).
    ///
    /// The environment is opened `MDB_NOLOCK | MDB_RDONLY`: LMDB neither reads nor changes its lock file, which the
    /// caller holds locked to keep every other process out while it copies (``Store/compact(directory:)``).
    static func compactCopy(of directory: String, into target: String, maxDatabases: Int) throws(LMDBError) {
        var environment: OpaquePointer?
        try check(mdb_env_create(&environment), "mdb_env_create")
        guard let environment else { throw LMDBError(code: 12, function: "mdb_env_create") }
        defer { mdb_env_close(environment) }
        try check(mdb_env_set_maxdbs(environment, MDB_dbi(maxDatabases)), "mdb_env_set_maxdbs")
        // The map must cover the file; the meta page records the size it was written with.
        try check(mdb_env_set_mapsize(environment, 0), "mdb_env_set_mapsize")
        try check(mdb_env_open(environment, directory, UInt32(MDB_NOLOCK | MDB_RDONLY | MDB_NORDAHEAD), 0o600), "mdb_env_open(\(directory))")
        try check(mdb_env_copy2(environment, target, UInt32(MDB_CP_COMPACT)), "mdb_env_copy2(\(target))")
    }

    /// Pages on LMDB's free list (free-page database entries), and pages in use by the file up to its last page.
    func pageCounts() throws -> (free: Int, total: Int) {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        var free = 0
        try read { transaction in
            var cursor: OpaquePointer?
            // The free-page database is DBI 0; each value is an ID list whose first word is its length.
            try check(mdb_cursor_open(transaction.handle, 0, &cursor), "mdb_cursor_open(free list)")
            defer { mdb_cursor_close(cursor) }
            var key = MDB_val()
            var value = MDB_val()
            var code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
            while code == 0 {
                if value.mv_size >= MemoryLayout<Int>.size, let data = value.mv_data {
                    free += data.loadUnaligned(as: Int.self)
                }
                code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
            }
            guard code == MDB_NOTFOUND else { throw LMDBError(code: code, function: "mdb_cursor_get(free list)") }
        }
        return (free, Int(info.me_last_pgno) + 1)
    }

    /// The current map size in bytes (`mdb_env_info`).
    public var mapBytes: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_mapsize
    }

    /// Page size, pages in use and the last transaction id (`mdb_env_stat`, `mdb_env_info`).
    public func statistics() -> (pageBytes: Int, lastPage: Int, lastTransaction: Int) {
        var stat = MDB_stat()
        mdb_env_stat(handle, &stat)
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return (Int(stat.ms_psize), info.me_last_pgno + 1, info.me_last_txnid)
    }

    /// Opens a named database, creating it when `create` (in a write transaction of its own).
    public func database(_ name: String, create: Bool) throws -> Database {
        try databases.withLock { databases in
            if let database = databases[name] { return database }
            let database = try openDatabase(name, create: create)
            databases[name] = database
            return database
        }
    }

    private func openDatabase(_ name: String, create: Bool) throws -> Database {
        let database: Database
        if create {
            database = try write { transaction in
                var dbi: MDB_dbi = 0
                try check(mdb_dbi_open(transaction.handle, name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open(\(name))")
                return Database(handle: dbi, name: name)
            }
        } else {
            // A handle opened in a read transaction outlives it only if that transaction commits: `read` aborts, and
            // `mdb_txn_abort` closes the handles the transaction opened.
            database = try resizeLock.withSharedLock {
                var transaction: OpaquePointer?
                try check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction), "mdb_txn_begin(MDB_RDONLY)")
                var dbi: MDB_dbi = 0
                let code = mdb_dbi_open(transaction, name, 0, &dbi)
                if code != 0 { mdb_txn_abort(transaction) }
                try check(code, "mdb_dbi_open(\(name))")
                try check(mdb_txn_commit(transaction), "mdb_txn_commit(MDB_RDONLY)")
                return Database(handle: dbi, name: name)
            }
        }
        return database
    }

    /// Runs `body` in a read-only transaction (`mdb_txn_begin` with `MDB_RDONLY`, then `mdb_txn_abort`).
    public func read<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        while true {
            resizeLock.lockShared()
            var transaction: OpaquePointer?
            let code = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction)
            if code == MDB_MAP_RESIZED {
                resizeLock.unlock()
                adoptResizedMap()
                continue
            }
            defer { resizeLock.unlock() }
            try check(code, "mdb_txn_begin(MDB_RDONLY)")
            defer { mdb_txn_abort(transaction) }
            return try body(Transaction(handle: transaction!, isWritable: false))
        }
    }

    /// Runs `body` in a write transaction that commits when it returns and aborts when it throws.
    ///
    /// On `MDB_MAP_FULL` (from any put or from the commit) the transaction is aborted, the map doubles and `body`
    /// runs again. When this returns, the transaction is durable.
    public func write<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        try growAheadOfNeed()
        // LMDB cannot grow the map under an open transaction: a write that runs out of room is aborted, the map grows,
        // and the write runs again from the start. Another process that grew the map makes our next transaction fail
        // with MDB_MAP_RESIZED, and that write is redone likewise.
        while true {
            do {
                return try attemptWrite(body)
            } catch let error as LMDBError where error.isMapFull {
                try grow()
            } catch let error as LMDBError where error.isMapResized {
                adoptResizedMap()
            }
        }
    }

    private func attemptWrite<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        var transaction: OpaquePointer?
        try check(mdb_txn_begin(handle, nil, 0, &transaction), "mdb_txn_begin")
        let result: Result
        do {
            result = try body(Transaction(handle: transaction!, isWritable: true))
        } catch let error as LMDBError {
            // A large transaction spills dirty pages to the file before its commit: a put can meet a full disk too.
            mdb_txn_abort(transaction)
            throw StorageFull(error, path: path) ?? error
        } catch {
            mdb_txn_abort(transaction)
            throw error
        }
        // mdb_txn_commit frees the transaction whether or not it succeeds.
        let code = mdb_txn_commit(transaction)
        if code != 0 {
            let error = LMDBError(code: code, function: "mdb_txn_commit")
            throw StorageFull(error, path: path) ?? error
        }
        return result
    }

    /// Doubles the map before a write when more than half of it is in use, so that the redo in ``write(_:)`` is left
    /// for a commit larger than the free half instead of every time the map fills. The map is address space, not
    /// disk: the file grows only as pages are written.
    private func growAheadOfNeed() throws {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        let used = (info.me_last_pgno + 1) * pageBytes
        if used > info.me_mapsize / 2 && info.me_mapsize < maximumMapBytes { try grow() }
    }

    /// Doubles the map (`mdb_env_set_mapsize`), with no transaction of this process open.
    private func grow() throws {
        try resizeLock.withExclusiveLock {
            let current = mapBytes
            guard current < maximumMapBytes else {
                throw LMDBError(code: MDB_MAP_FULL, function: "mdb_env_set_mapsize (at the configured maximum)")
            }
            try check(mdb_env_set_mapsize(handle, min(current * 2, maximumMapBytes)), "mdb_env_set_mapsize")
        }
    }

    /// Adopts a map size another process set (`mdb_env_set_mapsize(env, 0)`).
    private func adoptResizedMap() {
        resizeLock.withExclusiveLock { _ = mdb_env_set_mapsize(handle, 0) }
    }

    /// Flushes to disk (`mdb_env_sync` with force): only needed for tools that copy the file.
    public func sync() throws(LMDBError) {
        try check(mdb_env_sync(handle, 1), "mdb_env_sync")
    }
}

/// A commit that failed because the data directory's filesystem is full.
///
/// LMDB reports a write that found no room as `ENOSPC`, but one that found room for part of a page run as a short
/// write, which it turns into `EIO`: either, on a filesystem with less than ``threshold`` bytes free, is this error,
/// which says so. Nothing of the commit is stored; the next one succeeds once space is freed.
public struct StorageFull: Error, Sendable, Equatable, CustomStringConvertible {
    /// Free bytes below which an I/O error on commit is taken for a full filesystem.
    public static let threshold = 1 << 20
    public var path: String
    public var freeBytes: Int
    public var underlying: LMDBError

    public var description: String {
        "no space left on device: \(path) has \(freeBytes) bytes free; the commit was not stored (\(underlying))"
    }

    init?(_ error: LMDBError, path: String) {
        guard error.code == ENOSPC || error.code == EIO else { return nil }
        var status = statvfs()
        guard statvfs(path, &status) == 0 else { return nil }
        let free = Int(status.f_bavail) * Int(status.f_frsize)
        guard error.code == ENOSPC || free < Self.threshold else { return nil }
        self.path = path
        freeBytes = free
        underlying = error
    }
}

