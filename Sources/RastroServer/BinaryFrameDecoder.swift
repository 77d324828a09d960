import NIOCore
import RastroProtocol

/// One frame of the binary protocol, its payload still in the connection's buffer.
struct InboundFrame {
    var type: FrameType
    var payload: ByteBuffer
}

/// What the frame decoder and the connection handler of one binary connection share, on its event loop: the frame
/// bound (a hello's until the connection authenticates, then a batch's) and when the frame now arriving began.
final class FrameProgress {
    var maximumBytes: Int
    /// When the first bytes of the frame still incomplete arrived, or `nil` between frames.
    var partialSince: NIODeadline? = nil

    init(maximumBytes: Int) { self.maximumBytes = maximumBytes }
}

/// Cuts the byte stream into frames (docs/protocol.md §2), checking the length bound before buffering a frame and
/// the checksum before handing it on.
struct BinaryFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame
    let progress: FrameProgress

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let maximumBytes = progress.maximumBytes
        let parsed = try buffer.withReadableByteView { bytes throws(ProtocolError) in
            try Frame.parse(bytes, maximumBytes: maximumBytes)
        }
        guard case .frame(let type, let payload, let length) = parsed else {
            if buffer.readableBytes == 0 {
                progress.partialSince = nil
            } else if progress.partialSince == nil {
                progress.partialSince = .now()
            }
            return .needMoreData
        }
        progress.partialSince = nil
        let slice = buffer.getSlice(at: buffer.readerIndex + payload.lowerBound, length: payload.count)!
        buffer.moveReaderIndex(forwardBy: length)
        context.fireChannelRead(wrapInboundOut(InboundFrame(type: type, payload: slice)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            throw ProtocolError(.malformedFrame, "the connection closed inside a frame (\(buffer.readableBytes) bytes of it)")
        }
        return .needMoreData
    }
}
