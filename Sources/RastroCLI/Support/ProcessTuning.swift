#if canImport(Glibc)
import Glibc
#endif
import RastroPrimitives

/// Process-wide settings the executables apply before anything else.
public enum ProcessTuning {
    /// Keeps freed memory in the process: every commit allocates and frees the same large buffers (LMDB's dirty
    /// pages, batch arenas); glibc's defaults hand them back to the kernel each time and pay a page fault per 4 KB on
    /// the next commit. `mallopt` is not in the Glibc module, so it is looked up by name.
    public static func keepFreedMemory() {
        #if canImport(Glibc)
        typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MalloptFunction.self)
        _ = mallopt(-1, 512 << 20)  // M_TRIM_THRESHOLD
        _ = mallopt(-3, 256 << 20)  // M_MMAP_THRESHOLD
        #endif
    }

    /// The nice values a thread may take without privileges (``ThreadPriority``).
    public static var niceValues: ClosedRange<Int32> { ThreadPriority.niceValues }

    /// Lowers the calling thread's scheduling priority to `nice`; whether it took effect.
    @discardableResult
    public static func setCurrentThreadNice(_ nice: Int32) -> Bool { ThreadPriority.setCurrentThreadNice(nice) }

    /// The calling thread's nice value.
    public static func currentThreadNice() -> Int32 { ThreadPriority.currentThreadNice() }
}

import ArgumentParser

/// Runs an asynchronous root command: parse with `asyncParseAsRoot` (only the async protocol has it), then run.
/// `ParsableCommand` also has a synchronous `main()`, which top-level code ends up calling and which refuses async
/// roots on Linux.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public func runCommand<Command: AsyncParsableCommand>(_ command: Command.Type) async {
    do {
        var parsed = try await command.asyncParseAsRoot(nil)
        if var asynchronous = parsed as? any AsyncParsableCommand {
            try await asynchronous.run()
        } else {
            try parsed.run()
        }
    } catch {
        command.exit(withError: error)
    }
}
