#if canImport(Glibc)
import Glibc
#endif

/// A thread's scheduling priority. On Linux the nice value belongs to each thread, and `setpriority(PRIO_PROCESS, 0,
/// …)` sets the caller's: the import's parser steps back this way without slowing the writer.
public enum ThreadPriority {
    /// The nice values a thread may take without privileges.
    public static let niceValues: ClosedRange<Int32> = 0...19

    /// Lowers the calling thread's scheduling priority to `nice`. Returns whether it took effect.
    @discardableResult
    public static func setCurrentThreadNice(_ nice: Int32) -> Bool {
        #if canImport(Glibc)
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) == 0
        #else
        return false
        #endif
    }

    /// The calling thread's nice value.
    public static func currentThreadNice() -> Int32 {
        #if canImport(Glibc)
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
        return 0
        #endif
    }
}
