#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `rastrod` per data directory: an exclusive `flock` on `DIR/rastrod.lock`, held for the server's life and
/// released by the kernel when the process ends, however it ends. LMDB would let two servers share the store, but
/// both would accept handhelds' batches and prune each other's replay answers; a second one is refused instead.
/// (`rastro import` and the read commands take no such lock: they may run beside a server.)
public final class DirectoryLock: Sendable {
    private let descriptor: Int32

    /// Another process holds the lock.
    public struct Held: Error, CustomStringConvertible {
        public var directory: String
        public var pid: String
        public var description: String {
            "another rastrod is serving \(directory)" + (pid.isEmpty ? "" : " (pid \(pid))")
                + ": stop it first, or give this one another --data"
        }
    }

    /// Takes the lock of `directory` (which must exist), or throws ``Held``.
    public init(directory: String) throws {
        let path = directory + "/rastrod.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LockError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &bytes, bytes.count, 0)
            close(descriptor)
            guard failure == EWOULDBLOCK else {
                throw LockError("cannot lock \(path): \(String(cString: strerror(failure)))")
            }
            let pid = String(decoding: bytes.prefix(max(count, 0)), as: UTF8.self).filter(\.isNumber)
            throw Held(directory: directory, pid: pid)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    struct LockError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
