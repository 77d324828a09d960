#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a compaction did to the data file.
public struct CompactionResult: Sendable, Equatable {
    public var bytesBefore: Int
    public var bytesAfter: Int
}

extension Store {
    /// The share of the file's pages that sit on LMDB's free list: pages left by rewritten values, which later
    /// commits reuse but which the file keeps. A young store carries a large share (docs/storage.md, "Free pages").
    public func freePageShare() throws -> Double {
        let pages = try environment.pageCounts()
        return pages.total > 0 ? Double(pages.free) / Double(pages.total) : 0
    }

    /// Replaces `directory`'s data file with a compacted copy of it: the same records, without the free pages.
    ///
    /// Refused while any other process has the store open: LMDB holds a lock on `lock.mdb` in every process that
    /// opens the environment, and this takes it exclusively for the whole compaction, so that no process opens the
    /// store meanwhile (one that tries waits, then opens the compacted file). The copy is written beside the file,
    /// synced, and renamed over it: a crash leaves either file whole.
    @discardableResult
    public static func compact(directory: String) throws -> CompactionResult {
        let dataPath = directory + "/data.mdb"
        let lockPath = directory + "/lock.mdb"
        var status = stat()
        guard stat(dataPath, &status) == 0 else { throw StoreError("\(directory) holds no store (no data.mdb)") }
        let before = Int(status.st_size)
        guard !Environment.isOpenInThisProcess(directory) else {
            throw StoreError("\(directory) is still open in this process: close the store before compacting it")
        }
        let lockDescriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockDescriptor >= 0 else { throw StoreError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(lockDescriptor) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        guard fcntl(lockDescriptor, F_SETLK, &lock) == 0 else {
            throw StoreError(
                "\(directory) is open in another process (rastrod, an import, a report): compact it when nothing else uses it")
        }
        let target = directory + "/.compacting"
        try removeCompactionLeftovers(target)
        guard mkdir(target, 0o700) == 0 else { throw StoreError("cannot create \(target): \(String(cString: strerror(errno)))") }
        defer { try? removeCompactionLeftovers(target) }
        try Environment.compactCopy(of: directory, into: target, maxDatabases: Store.maximumDatabases)
        let copy = target + "/data.mdb"
        // LMDB creates the copy as 0666 less the umask; the store's file stays the owner's alone.
        guard chmod(copy, 0o600) == 0 else { throw StoreError("cannot chmod \(copy): \(String(cString: strerror(errno)))") }
        try syncPath(copy, directory: false)
        guard rename(copy, dataPath) == 0 else { throw StoreError("cannot replace \(dataPath): \(String(cString: strerror(errno)))") }
        try syncPath(directory, directory: true)
        guard stat(dataPath, &status) == 0 else { throw StoreError("\(dataPath) vanished") }
        return CompactionResult(bytesBefore: before, bytesAfter: Int(status.st_size))
    }

    private static func removeCompactionLeftovers(_ target: String) throws {
        unlink(target + "/data.mdb")
        unlink(target + "/lock.mdb")
        if rmdir(target) != 0 && errno != ENOENT {
            throw StoreError("cannot remove \(target): \(String(cString: strerror(errno)))")
        }
    }

    private static func syncPath(_ path: String, directory: Bool) throws {
        let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        guard descriptor >= 0 else { throw StoreError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StoreError("cannot sync \(path): \(String(cString: strerror(errno)))") }
    }
}
