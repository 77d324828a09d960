#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore
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
    let handle: OpaquePointer
    public let path: String
    public let maximumMapBytes: Int
    /// The database's page size (`mdb_env_stat`), fixed when the environment is opened.
    let pageBytes: Int
    /// Held shared by every transaction and exclusively while the map is resized: LMDB requires that no transaction of
    /// this process be active during `mdb_env_set_mapsize`.
    let resizeLock: UnsafeMutablePointer<pthread_rwlock_t>
    private var databases: [String: Database] = [:]
    private let databasesLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

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
            try check(mdb_env_open(environment, path, flags, 0o644), "mdb_env_open(\(path))")
        } catch {
            mdb_env_close(environment)
            throw error
        }
        self.handle = environment
        self.path = path
        self.maximumMapBytes = maximumMapBytes
        var stat = MDB_stat()
        mdb_env_stat(environment, &stat)
        self.pageBytes = Int(stat.ms_psize)
        resizeLock = .allocate(capacity: 1)
        pthread_rwlock_init(resizeLock, nil)
        pthread_mutex_init(databasesLock, nil)
        // Another process may have grown the map beyond our initial size: adopt the file's size.
        mdb_env_set_mapsize(environment, 0)
    }

    deinit {
        mdb_env_close(handle)
        pthread_rwlock_destroy(resizeLock)
        resizeLock.deallocate()
        pthread_mutex_destroy(databasesLock)
        databasesLock.deallocate()
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
        pthread_mutex_lock(databasesLock)
        defer { pthread_mutex_unlock(databasesLock) }
        if let database = databases[name] { return database }
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
            pthread_rwlock_rdlock(resizeLock)
            defer { pthread_rwlock_unlock(resizeLock) }
            var transaction: OpaquePointer?
            try check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction), "mdb_txn_begin(MDB_RDONLY)")
            var dbi: MDB_dbi = 0
            let code = mdb_dbi_open(transaction, name, 0, &dbi)
            if code != 0 { mdb_txn_abort(transaction) }
            try check(code, "mdb_dbi_open(\(name))")
            try check(mdb_txn_commit(transaction), "mdb_txn_commit(MDB_RDONLY)")
            database = Database(handle: dbi, name: name)
        }
        databases[name] = database
        return database
    }

    /// Runs `body` in a read-only transaction (`mdb_txn_begin` with `MDB_RDONLY`, then `mdb_txn_abort`).
    public func read<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        while true {
            pthread_rwlock_rdlock(resizeLock)
            var transaction: OpaquePointer?
            let code = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction)
            if code == MDB_MAP_RESIZED {
                pthread_rwlock_unlock(resizeLock)
                adoptResizedMap()
                continue
            }
            defer { pthread_rwlock_unlock(resizeLock) }
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
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        var transaction: OpaquePointer?
        try check(mdb_txn_begin(handle, nil, 0, &transaction), "mdb_txn_begin")
        let result: Result
        do {
            result = try body(Transaction(handle: transaction!, isWritable: true))
        } catch {
            mdb_txn_abort(transaction)
            throw error
        }
        // mdb_txn_commit frees the transaction whether or not it succeeds.
        try check(mdb_txn_commit(transaction), "mdb_txn_commit")
        return result
    }

    /// Doubles the map before a write when more than half of it is in use. A write that runs out of room fails
    /// with `MDB_MAP_FULL` and is redone from scratch after the map grows (``write(_:)``): an import of 10 million
    /// scans into an empty store did that twice, its map doubling from 64 to 256 MiB, and redid 0.47 s of
    /// commits out of 6.4 s. Growing ahead keeps that path for a commit larger than the free half. The map is address
    /// space, not disk: the file grows only as pages are written.
    private func growAheadOfNeed() throws {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        let used = (info.me_last_pgno + 1) * pageBytes
        if used > info.me_mapsize / 2 && info.me_mapsize < maximumMapBytes { try grow() }
    }

    /// Doubles the map (`mdb_env_set_mapsize`), with no transaction of this process open.
    private func grow() throws {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        let current = mapBytes
        guard current < maximumMapBytes else { throw LMDBError(code: MDB_MAP_FULL, function: "mdb_env_set_mapsize (at the configured maximum)") }
        try check(mdb_env_set_mapsize(handle, min(current * 2, maximumMapBytes)), "mdb_env_set_mapsize")
    }

    /// Adopts a map size another process set (`mdb_env_set_mapsize(env, 0)`).
    private func adoptResizedMap() {
        pthread_rwlock_wrlock(resizeLock)
        mdb_env_set_mapsize(handle, 0)
        pthread_rwlock_unlock(resizeLock)
    }

    /// Flushes to disk (`mdb_env_sync` with force): only needed for tools that copy the file.
    public func sync() throws(LMDBError) {
        try check(mdb_env_sync(handle, 1), "mdb_env_sync")
    }
}
