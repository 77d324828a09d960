#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops the process when a pthread call fails. Every failure these types can meet (`EINVAL`, `EDEADLK`, `EPERM`)
/// is a programming error: an uninitialised object, a lock taken twice, or unlocked by a thread that does not hold it.
@inline(__always)
func checkPthread(_ code: Int32, _ function: StaticString, file: StaticString = #fileID, line: UInt = #line) {
    if code != 0 {
        preconditionFailure("\(function) failed: \(String(cString: strerror(code))) (\(code))", file: file, line: line)
    }
}
