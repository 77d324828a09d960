import ArgumentParser
import RastroPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// Where a command writes bulk output: the file named by `--out`, or standard output through ``Console`` (so that
/// tests capture it).
struct OutputFile {
    /// The file's descriptor, or -1 for standard output.
    private let descriptor: Int32

    /// Opens (creating or truncating) `path`, or standard output when `path` is `nil`.
    init(_ path: String?) throws {
        guard let path else {
            descriptor = -1
            return
        }
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: [UInt8]) {
        if descriptor >= 0 {
            bytes.withByteView { writeAll(descriptor, $0) }
        } else {
            Console.out(String(decoding: bytes, as: UTF8.self))
        }
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
    }
}
