import NIOCore
import NIOHTTPTypes

/// Puts HTTP connections under the bounds binary and CSV connections keep (``ReadGate``): each counts toward
/// ``ServerLimits/connections`` and the per-address bounds, and until its first request head arrives it counts as
/// unauthenticated (HTTP authenticates each request). A connection must send its first request head within
/// ``ServerLimits/helloTimeoutSeconds``, each request must arrive whole within ``ServerLimits/requestSeconds`` of
/// its head, and the next head must follow within ``ServerLimits/idleTimeoutSeconds`` of the last answer's end
/// (Hummingbird's idle timeout also closes a connection that sends nothing). While a request is answered (its
/// commit may wait for the writer) no deadline runs. A connection over a bound is closed.
final class HTTPConnectionGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let server: ServerContext
    var timer: Scheduled<Void>? = nil
    var registered = false

    init(server: ServerContext) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let refusal = server.connections.register(self, address: peerAddress(context.channel)) {
            // Hummingbird closes its connections gracefully before the registry drains; a straggler is closed here.
            bound.eventLoop.execute { bound.value.close(promise: nil) }
        }
        if let refusal {
            server.metrics.refused.increment()
            server.logger.info("closing", metadata: ["peer": "\(peerDescription(context.channel))", "error": "\(refusal)"])
            context.close(promise: nil)
            return
        }
        registered = true
        expect(context: context, within: server.limits.helloTimeoutSeconds, "no request within")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if registered { server.connections.unregister(self) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            server.connections.authenticated(self)
            expect(context: context, within: server.limits.requestSeconds, "a request took longer than")
        case .body:
            break
        case .end:
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            expect(context: context, within: server.limits.idleTimeoutSeconds, "no request within")
        }
        context.write(data, promise: promise)
    }

    /// Replaces the pending deadline: the connection closes unless the next step comes within `seconds`.
    func expect(context: ChannelHandlerContext, within seconds: Int, _ what: String) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
            let (gate, context) = bound.value
            gate.server.metrics.timedOut.increment()
            gate.server.logger.info(
                "closing", metadata: ["peer": "\(peerDescription(context.channel))", "error": "\(what) \(seconds) s"])
            context.close(promise: nil)
        }
    }
}
