import Logging
import NIOCore
import RastroCSV
import RastroCore
import RastroStore

/// The CSV line protocol, usable from `nc` (docs/protocol.md §8):
///
/// ```
/// → AUTH <token>
/// → tracking_id,event,scanned_at,…          (the header, then rows: the same dialect as `rastro import`)
/// ← ERR <line> <field> <reason>             (one per bad row of a committed batch)
/// ← OK <accepted> <duplicates> <conflicts> <rejected>
/// ```
/// Each burst of rows read becomes a batch; its answer follows its durable commit, in order. The end of input (the
/// client shuts its sending side, as `nc -N` does) flushes the last rows, answers and closes.
final class CSVConnectionHandler: ReadGate, ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: ServerContext
    var peer = "unknown"
    var token: TokenRecord? = nil
    var reader: CSVScanReader? = nil
    var pending: [UInt8] = []
    var inFlight = 0
    var reading = true
    var inputEnded = false
    var closing = false
    var partialSince: NIODeadline? = nil
    var timers = ConnectionTimers()

    init(server: ServerContext) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        peer = peerDescription(context.channel)
        if let refusal = register(context: context, onShutdown: endInput) {
            refuse(context: context, "\(refusal)")
            return
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var buffer = unwrapInboundIn(data)
        server.metrics.bytesIn.increment(by: buffer.readableBytes)
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { pending.append(contentsOf: bytes) }
        let received = pending.count
        defer { notePartial(consumedSome: pending.count < received) }
        if token == nil && !authenticate(context: context) { return }
        parse(context: context, isFinal: false)
    }

    /// Keeps ``partialSince``: when the record (or `AUTH` line) still incomplete began. A record that completes
    /// restarts the clock for the next one.
    func notePartial(consumedSome: Bool) {
        if pending.isEmpty {
            partialSince = nil
        } else if partialSince == nil || consumedSome {
            partialSince = .now()
        }
    }

    func timedOut(context: ChannelHandlerContext, _ reason: String) {
        guard !closing else { return }
        answer(context: context, ["ERR \(reader?.line ?? 1) row \(reason)"])
        closing = true
        timers.cancelAll()
        context.close(promise: nil)
    }

    /// Reads the `AUTH` line; `false` while it is incomplete or when the token is refused.
    func authenticate(context: ChannelHandlerContext) -> Bool {
        guard let end = pending.firstIndex(of: UInt8(ascii: "\n")) else {
            if pending.count > server.limits.helloBytes {
                refuse(context: context, "the AUTH line is longer than \(server.limits.helloBytes) bytes")
            }
            return false
        }
        guard end <= server.limits.helloBytes else {
            refuse(context: context, "the AUTH line is longer than \(server.limits.helloBytes) bytes")
            return false
        }
        var line = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeFirst(end + 1)
        if line.hasSuffix("\r") { line.removeLast() }
        guard line.hasPrefix("AUTH ") else {
            refuse(context: context, "the first line must be AUTH <token>")
            return false
        }
        switch server.authorize(String(line.dropFirst(5)), peer: peer, address: peerAddress(context.channel), channel: "csv") {
        case .failure(let refusal):
            refuse(context: context, "\(refusal)")
            return false
        case .success(let record):
            authenticated()
            token = record
            reader = CSVScanReader(validator: server.validator)
            server.logger.info("connected", metadata: ["peer": "\(peer)", "channel": "csv", "token": "\(record.id)"])
            return true
        }
    }

    /// Reads every complete record buffered and submits them as batches of at most ``ServerLimits/scansPerBatch``.
    func parse(context: ChannelHandlerContext, isFinal: Bool) {
        guard let reader, let token else { return }
        while true {
            var batch = ScanBatch()
            var rejects: [CSVRejection] = []
            let consumed: Int
            do {
                consumed = try pending.withByteView { bytes in
                    try reader.read(
                        bytes, isFinal: isFinal, receivedAt: serverReceiveTime(), maximumScans: server.limits.scansPerBatch,
                        into: &batch, rejects: &rejects)
                }
            } catch {
                answer(context: context, ["ERR \((error as? CSVFileError)?.line ?? 1) header \((error as? CSVFileError)?.message ?? "\(error)")"])
                closing = true
                context.close(promise: nil)
                return
            }
            pending.removeFirst(consumed)
            if batch.isEmpty && rejects.isEmpty { break }
            submit(context: context, batch: batch, rejects: rejects, token: token)
            if consumed == 0 { break }
        }
        if pending.count > server.limits.lineBytes * 2 + (64 << 10) {
            // The reader consumes every complete record; more than that left over means no record is ending.
            answer(context: context, ["ERR \(reader.line) row a record is longer than \(server.limits.lineBytes) bytes"])
            closing = true
            context.close(promise: nil)
        }
    }

    func submit(context: ChannelHandlerContext, batch: ScanBatch, rejects: [CSVRejection], token: TokenRecord) {
        inFlight += 1
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        server.submit(batch, early: rejects.map(SubmissionProblem.init(rejection:)), token: token, peer: peer, channel: .csv) {
            result in
            bound.eventLoop.execute { bound.value.0.acknowledge(context: bound.value.1, result) }
        }
        updateReading(context: context)
    }

    func acknowledge(context: ChannelHandlerContext, _ result: Result<SubmissionAnswer, any Error>) {
        inFlight -= 1
        if case .failure(let revoked as TokenRevoked) = result {
            answer(context: context, ["ERR 0 token \(revoked)"])
            closing = true
            context.close(promise: nil)
            return
        }
        guard case .success(.stored(let outcome, _)) = result else {
            let reason: String
            if case .failure(let failure) = result { reason = "\(failure)" } else { reason = "\(result)" }
            answer(context: context, ["ERR 0 row the batch was not stored: \(EscapedText.escaping(reason))"])
            closing = true
            context.close(promise: nil)
            return
        }
        answer(
            context: context,
            outcome.problems.map { "ERR \($0.source) \($0.fieldName) \($0.text)" }
                + ["OK \(outcome.accepted) \(outcome.duplicates) \(outcome.conflicts) \(outcome.rejected)"])
        if inputEnded && inFlight == 0 {
            context.close(promise: nil)
            return
        }
        updateReading(context: context)
    }

    var isWindingDown: Bool { inputEnded }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent {
            endInput(context: context)
            return
        }
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read, inFlight == 0, reading {
            answer(context: context, ["ERR 0 row nothing received for \(server.limits.idleTimeoutSeconds) s"])
            closing = true
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Flushes the last rows (a last line without its line end included), answers, and closes.
    func endInput(context: ChannelHandlerContext) {
        guard !inputEnded, !closing else { return }
        inputEnded = true
        stopRequestDeadline()
        if token != nil { parse(context: context, isFinal: true) }
        reading = false
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        if inFlight == 0 { context.close(promise: nil) }
    }

    func refuse(context: ChannelHandlerContext, _ reason: String) {
        closing = true
        answer(context: context, ["ERR 1 token \(reason)"])
        context.close(promise: nil)
    }

    /// Writes answer lines; what they echo of the client's input is escaped (``EscapedText``), so no line can be
    /// ended or forged by it.
    func answer(context: ChannelHandlerContext, _ lines: [String]) {
        var text = lines.map(EscapedText.escaping).joined(separator: "\n")
        text += "\n"
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("connection error", metadata: ["peer": "\(peer)", "error": "\(error)"])
        context.close(promise: nil)
    }
}
