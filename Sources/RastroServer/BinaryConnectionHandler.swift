import Logging
import NIOCore
import RastroCore
import RastroPrimitives
import RastroProtocol
import RastroStore

/// One handheld or gateway speaking the binary protocol (docs/protocol.md).
///
/// The token is checked on the first frame, before any batch is parsed. Each batch is decoded and validated here, on
/// the event loop, then queued for the writer; its ack goes out once the group commit holding it is durable. A
/// connection with too many batches in flight, or a writer with too much queued, stops reading: TCP carries the
/// backpressure to the client instead of memory growing here.
final class BinaryConnectionHandler: ReadGate, ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    enum State {
        case awaitingHello
        case ready(token: TokenRecord, session: UInt64, decoder: BatchDecoder)
        /// The decoder is out of `state` while it decodes a batch, so that its arrays are uniquely referenced and
        /// change in place instead of being copied per frame.
        case decoding
        case closing
    }

    let server: ServerContext
    /// Shared with the frame decoder: the frame bound, raised once the connection authenticates.
    let progress: FrameProgress
    var state = State.awaitingHello
    var peer = "unknown"
    var inFlight = 0
    var reading = true
    var closeWhenIdle = false
    var timers = ConnectionTimers()

    init(server: ServerContext, progress: FrameProgress) {
        self.server = server
        self.progress = progress
    }

    var partialSince: NIODeadline? {
        get { progress.partialSince }
        set { progress.partialSince = newValue }
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = peerDescription(context.channel)
        if let refusal = register(context: context, onShutdown: beginClose) {
            fail(context: context, ProtocolError(refusal == .draining ? .shuttingDown : .tooManyConnections, "\(refusal)"))
            return
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister()
        context.fireChannelInactive()
    }

    func timedOut(context: ChannelHandlerContext, _ reason: String) {
        fail(context: context, ProtocolError(.idleTimeout, reason))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        server.metrics.bytesIn.increment(by: frame.payload.readableBytes + Frame.overheadBytes)
        switch state {
        case .awaitingHello:
            guard frame.type == .hello else {
                fail(context: context, ProtocolError(.unexpectedFrame, "the first frame must be a hello, not \(frame.type)"))
                return
            }
            do throws(ProtocolError) {
                let hello = try frame.payload.withReadableByteView { bytes throws(ProtocolError) in try Hello.decode(bytes) }
                switch server.authorize(hello.token, peer: peer, address: peerAddress(context.channel), channel: "binary") {
                case .failure(let refusal):
                    fail(context: context, ProtocolError(refusal.isAnalyst ? .forbidden : .unauthorized, "\(refusal)"))
                case .success(let token):
                    authenticated()
                    progress.maximumBytes = server.limits.frameBytes
                    state = .ready(
                        token: token, session: hello.session,
                        decoder: BatchDecoder(validator: server.validator, maximumScans: server.limits.scansPerBatch))
                    server.logger.info("connected", metadata: ["peer": "\(peer)", "channel": "binary", "token": "\(token.id)", "client": "\(EscapedText.escaping(hello.client))"])
                    let welcome = Welcome(maximumFrameBytes: server.limits.frameBytes, maximumScansPerBatch: server.limits.scansPerBatch)
                    write(context: context, .welcome, welcome.encode())
                }
            } catch {
                fail(context: context, error)
            }
        case .ready(let token, let session, var decoder):
            state = .decoding
            guard frame.type == .batch else {
                fail(context: context, ProtocolError(.unexpectedFrame, "expected a batch, got \(frame.type)"))
                return
            }
            var batch = ScanBatch()
            var rejections: [BatchDecoder.Rejection] = []
            let number: UInt64
            do throws(ProtocolError) {
                number = try frame.payload.withReadableByteView { bytes throws(ProtocolError) in
                    try decoder.decode(bytes, receivedAt: serverReceiveTime(), into: &batch, rejections: &rejections)
                }
            } catch {
                fail(context: context, error)
                return
            }
            state = .ready(token: token, session: session, decoder: decoder)
            submit(context: context, batch: batch, rejections: rejections, number: number, token: token, session: session)
        case .decoding, .closing:
            break
        }
    }

    func submit(
        context: ChannelHandlerContext, batch: ScanBatch, rejections: [BatchDecoder.Rejection], number: UInt64,
        token: TokenRecord, session: UInt64
    ) {
        let early = rejections.map {
            SubmissionProblem(source: $0.index, code: .invalid, field: $0.field, message: $0.message)
        }
        inFlight += 1
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        server.submit(
            batch, early: early, token: token, peer: peer, channel: .binary,
            replay: (ReplayKey(token: token.id, session: session, number: number), { $0.ack(batch: number).encode() })
        ) { result in
            bound.eventLoop.execute { bound.value.0.acknowledge(context: bound.value.1, result) }
        }
        updateReading(context: context)
    }

    func acknowledge(context: ChannelHandlerContext, _ result: Result<SubmissionAnswer, any Error>) {
        inFlight -= 1
        switch result {
        case .success(.stored(_, let replay?)), .success(.replayed(let replay)):
            write(context: context, .ack, replay)
        case .success(.stored(_, nil)):
            preconditionFailure("binary batches always store their answer")
        case .failure(let error):
            let code: ProtocolErrorCode = error is WriterStopped ? .shuttingDown : error is TokenRevoked ? .unauthorized : .internalError
            fail(context: context, ProtocolError(code, "\(error)"))
            return
        }
        if closeWhenIdle && inFlight == 0 {
            context.close(promise: nil)
            return
        }
        updateReading(context: context)
    }

    var isWindingDown: Bool { closeWhenIdle }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read, inFlight == 0, reading {
            fail(context: context, ProtocolError(.idleTimeout, "nothing received for \(server.limits.idleTimeoutSeconds) s"))
            return
        }
        if case .inputClosed = event as? ChannelEvent {
            // The client has sent everything: answer what is in flight, then close.
            beginClose(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? ProtocolError {
            fail(context: context, error)
        } else {
            server.logger.debug("connection error", metadata: ["peer": "\(peer)", "error": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// Stops reading, lets the batches in flight be acknowledged, then closes (graceful shutdown, end of input).
    func beginClose(context: ChannelHandlerContext) {
        closeWhenIdle = true
        stopRequestDeadline()
        if reading {
            reading = false
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
        if inFlight == 0 { context.close(promise: nil) }
    }

    /// Sends an error frame and closes: the batches in flight are still committed, but their acks are not sent.
    func fail(context: ChannelHandlerContext, _ error: ProtocolError) {
        if case .closing = state { return }
        state = .closing
        server.logger.info("closing", metadata: ["peer": "\(peer)", "error": "\(error)"])
        let writer = ByteWriter(reservingCapacity: 64)
        ErrorFrame.encode(error).withByteView { Frame.append(.error, payload: $0, to: writer) }
        var buffer = context.channel.allocator.buffer(capacity: writer.count)
        writer.withBytes { _ = buffer.writeBytes($0) }
        timers.cancelAll()
        // A client that does not read would never let the error frame go out: close after a grace period anyway.
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let giveUp = context.eventLoop.scheduleTask(in: ServerLimits.closeGrace) { bound.value.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            giveUp.cancel()
            bound.value.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, _ type: FrameType, _ payload: [UInt8]) {
        var buffer = context.channel.allocator.buffer(capacity: payload.count + Frame.overheadBytes)
        let writer = ByteWriter(reservingCapacity: payload.count + Frame.overheadBytes)
        payload.withByteView { Frame.append(type, payload: $0, to: writer) }
        writer.withBytes { _ = buffer.writeBytes($0) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}

