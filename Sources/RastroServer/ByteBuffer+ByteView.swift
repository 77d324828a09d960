import NIOCore
import RastroPrimitives

extension ByteBuffer {
    /// Lends the readable bytes as a ``ByteView`` for the length of `body`: where NIO hands bytes to the codecs.
    func withReadableByteView<Result, Failure: Error>(_ body: (ByteView) throws(Failure) -> Result) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = withUnsafeReadableBytes { raw in
            do throws(Failure) { return .success(try body(ByteView(borrowing: raw))) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
