import NIOCore

/// A binary or CSV connection registered with the server, and the bounds it keeps while it reads:
///
/// - it stops reading its socket while it has too many batches waiting for their acknowledgement, the writer has too
///   much queued, or its client has not read ``ServerLimits/unsentAnswerBytes`` of answers, and reads again when all
///   have room: TCP then carries the backpressure to the client instead of memory growing in the server
///   (docs/protocol.md §6);
/// - it must authenticate within ``ServerLimits/helloTimeoutSeconds``;
/// - a frame or record that has begun must arrive whole within ``ServerLimits/requestSeconds`` of reading (time
///   spent not reading, because the server paused it, does not count).
protocol ReadGate: AnyObject {
    var server: ServerContext { get }
    /// Whether the channel is reading now.
    var reading: Bool { get set }
    /// Batches submitted and not yet acknowledged.
    var inFlight: Int { get }
    /// The connection is closing or its input ended: it never reads again.
    var isWindingDown: Bool { get }
    /// When the frame or record now arriving began, or `nil` between them.
    var partialSince: NIODeadline? { get set }
    var timers: ConnectionTimers { get set }
    /// Closes the connection, telling the client why (a hello or a request that took too long).
    func timedOut(context: ChannelHandlerContext, _ reason: String)
}

/// The scheduled checks of one connection, on its event loop.
struct ConnectionTimers {
    var hello: Scheduled<Void>? = nil
    var request: Scheduled<Void>? = nil
    /// The ``ReadGate/partialSince`` the request timer was set for.
    var requestFor: NIODeadline? = nil

    mutating func cancelAll() {
        hello?.cancel()
        request?.cancel()
        hello = nil
        request = nil
        requestFor = nil
    }
}

extension ReadGate {
    /// Reads while this connection, its client and the writer have room; otherwise waits for them.
    func updateReading(context: ChannelHandlerContext) {
        defer { updateRequestDeadline(context: context) }
        let hasRoom = !isWindingDown && inFlight < server.limits.batchesInFlight && context.channel.isWritable
        let shouldRead = hasRoom && !server.writer.isCongested
        if shouldRead == reading { return }
        reading = shouldRead
        context.channel.setOption(ChannelOptions.autoRead, value: shouldRead).whenComplete { _ in }
        // The time spent paused is the server's, not the client's: the request being read starts its clock again.
        if shouldRead && partialSince != nil { partialSince = .now() }
        if !shouldRead && hasRoom {
            // Paused by the writer's queue alone: resume when it drains. (A client that is not reading its answers
            // resumes through `channelWritabilityChanged`; too many batches in flight, through their acks.)
            // The closure is bound to the loop so that only a loop-bound value crosses to the writer's thread.
            let resume = NIOLoopBound({ self.updateReading(context: context) }, eventLoop: context.eventLoop)
            server.writer.whenDrained {
                resume.eventLoop.execute { resume.value() }
            }
        }
    }

    /// Keeps one timer for the request now arriving, set when it began; none while the connection is not reading.
    func updateRequestDeadline(context: ChannelHandlerContext) {
        guard reading, !isWindingDown, let since = partialSince else {
            timers.request?.cancel()
            timers.request = nil
            timers.requestFor = nil
            return
        }
        if timers.requestFor == since { return }
        timers.request?.cancel()
        timers.requestFor = since
        let seconds = server.limits.requestSeconds
        let fire = NIOLoopBound({
            self.server.metrics.timedOut.increment()
            self.timedOut(context: context, "a request took longer than \(seconds) s to arrive")
        }, eventLoop: context.eventLoop)
        timers.request = context.eventLoop.scheduleTask(deadline: since + .seconds(Int64(seconds))) { fire.value() }
    }
}

extension ReadGate where Self: ChannelInboundHandler {
    /// A read burst ended: the request still incomplete (if any) keeps, starts or drops its deadline.
    func channelReadComplete(context: ChannelHandlerContext) {
        updateRequestDeadline(context: context)
        context.fireChannelReadComplete()
    }

    /// The client read (or stopped reading) its answers: reading follows.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        updateReading(context: context)
        context.fireChannelWritabilityChanged()
    }
}

extension ReadGate {
    /// Registers the connection with the server's registry, with what to do on its event loop when the server shuts
    /// down, and starts its hello timer; the refusal when the server does not take it (it is draining, it or the
    /// client's address holds its most connections already).
    func register(context: ChannelHandlerContext, onShutdown: @escaping (ChannelHandlerContext) -> Void)
        -> ConnectionRegistry.Refusal?
    {
        let shutdown = NIOLoopBound({ onShutdown(context) }, eventLoop: context.eventLoop)
        let refusal = server.connections.register(self, address: peerAddress(context.channel)) {
            shutdown.eventLoop.execute { shutdown.value() }
        }
        if let refusal {
            server.metrics.refused.increment()
            return refusal
        }
        let seconds = server.limits.helloTimeoutSeconds
        let fire = NIOLoopBound({
            self.server.metrics.timedOut.increment()
            self.timedOut(context: context, "not authenticated within \(seconds) s")
        }, eventLoop: context.eventLoop)
        timers.hello = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) { fire.value() }
        return nil
    }

    /// The connection authenticated: its hello timer stops, and it no longer counts as unauthenticated.
    func authenticated() {
        timers.hello?.cancel()
        timers.hello = nil
        server.connections.authenticated(self)
    }

    /// The connection is winding down (shutdown, end of input): what it sent is answered, with no deadline running.
    func stopRequestDeadline() {
        timers.request?.cancel()
        timers.request = nil
        timers.requestFor = nil
    }

    /// The connection closed: forgets it and its timers.
    func unregister() {
        timers.cancelAll()
        server.connections.unregister(self)
    }
}
