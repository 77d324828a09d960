import NIOCore

/// A connection registered with the server that stops reading its socket while it has too many batches waiting for
/// their acknowledgement or the writer has too much queued, and reads again when both have room: TCP then carries
/// the backpressure to the client instead of memory growing in the server (docs/protocol.md §6).
protocol ReadGate: AnyObject {
    var server: ServerContext { get }
    /// Whether the channel is reading now.
    var reading: Bool { get set }
    /// Batches submitted and not yet acknowledged.
    var inFlight: Int { get }
    /// The connection is closing or its input ended: it never reads again.
    var isWindingDown: Bool { get }
}

extension ReadGate {
    /// Reads while this connection and the writer have room; otherwise waits for them.
    func updateReading(context: ChannelHandlerContext) {
        let hasRoom = !isWindingDown && inFlight < server.limits.batchesInFlight
        let shouldRead = hasRoom && !server.writer.isCongested
        if shouldRead == reading { return }
        reading = shouldRead
        context.channel.setOption(ChannelOptions.autoRead, value: shouldRead).whenComplete { _ in }
        if !shouldRead && hasRoom {
            // Paused by the writer's queue alone: resume when it drains.
            // The closure is bound to the loop so that only a loop-bound value crosses to the writer's thread.
            let resume = NIOLoopBound({ self.updateReading(context: context) }, eventLoop: context.eventLoop)
            server.writer.whenDrained {
                resume.eventLoop.execute { resume.value() }
            }
        }
    }
}

extension ReadGate {
    /// Registers the connection with the server's registry, with what to do on its event loop when the server shuts
    /// down; `false` when the server refuses it (it is draining, or holds its most connections already).
    func register(context: ChannelHandlerContext, onShutdown: @escaping (ChannelHandlerContext) -> Void) -> Bool {
        let shutdown = NIOLoopBound({ onShutdown(context) }, eventLoop: context.eventLoop)
        return server.connections.register(self) {
            shutdown.eventLoop.execute { shutdown.value() }
        }
    }
}
