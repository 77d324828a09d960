#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of the process's own, running one closure, that its owner joins.
///
/// The project's long-lived threads (the server's writer, the store's helper, the import's parser) are these rather
/// than Dispatch or Swift tasks: they block in LMDB and `fsync`, which must not tie up a cooperative pool, and they
/// carry a name that `top -H` and `perf` show.
public final class OwnedThread: Sendable {
    private let thread: pthread_t

    /// Starts `body` on a new thread named `name` (at most 15 bytes are kept, the kernel's limit).
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        final class Start: Sendable {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let start = Unmanaged.passRetained(Start(name: name, body: body))
        #if os(Linux)
        var thread = pthread_t()
        #else
        var thread: pthread_t? = nil
        #endif
        let code = pthread_create(&thread, nil, { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            nameCurrentThread(start.name)
            start.body()
            return nil
        }, start.toOpaque())
        if code != 0 {
            start.release()
            checkPthread(code, "pthread_create")
        }
        #if os(Linux)
        self.thread = thread
        #else
        self.thread = thread!
        #endif
    }

    /// Waits for the thread's closure to return.
    public func join() {
        checkPthread(pthread_join(thread, nil), "pthread_join")
    }

    /// Whether the calling thread is this one.
    public var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }
}

/// Names the calling thread for `top -H`, `perf` and debuggers. Glibc's `pthread_setname_np` is not visible to
/// Swift, so this writes the name where it lands (`/proc/thread-self/comm`); a failure leaves the thread unnamed.
private func nameCurrentThread(_ name: String) {
    #if os(Linux)
    let file = open("/proc/thread-self/comm", O_WRONLY)
    guard file >= 0 else { return }
    defer { close(file) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
    #endif
}

/// The calling thread's identity as an integer, for assertions about which thread owns what.
public enum ThreadIdentity {
    public static var current: UInt {
        #if os(Linux)
        UInt(pthread_self())
        #else
        UInt(bitPattern: pthread_self())
        #endif
    }
}
