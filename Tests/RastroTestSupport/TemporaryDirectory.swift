#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp for one test, removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() {
        var template = Array("/tmp/rastro-test-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = String(cString: created!)
    }

    deinit {
        _ = system("rm -rf '\(path)'")
    }
}
