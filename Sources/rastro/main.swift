import RastroCLI

#if canImport(Glibc)
import Glibc

/// Keeps freed memory in the process: every commit allocates and frees the same large buffers (LMDB's dirty pages,
/// batch arenas); glibc's defaults hand them back to the kernel each time and pay a page fault per 4 KB on the next
/// commit. `mallopt` is not in the Glibc module, so it is looked up by name.
func keepFreedMemory() {
    typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: MalloptFunction.self)
    _ = mallopt(-1, 512 << 20)  // M_TRIM_THRESHOLD
    _ = mallopt(-3, 256 << 20)  // M_MMAP_THRESHOLD
}
keepFreedMemory()
#endif

Rastro.main()
