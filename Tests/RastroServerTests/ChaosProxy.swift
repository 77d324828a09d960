import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy that cuts each connection (both ways) after a random number of bytes from the client: what a mobile
/// network does to a handheld mid-batch.
final class ChaosProxy: @unchecked Sendable {
    // @unchecked Sendable: `channel` and `port` are set once in init; `cuts` is atomic.
    let channel: any Channel
    let port: Int
    let cuts = Atomic<Int>(0)

    init(target: Int, cutBetween bytes: ClosedRange<Int>, cutFirst: Int) async throws {
        let counter = Atomic<Int>(0)
        let proxy = Handoff()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { inbound in
                let number = counter.wrappingAdd(1, ordering: .relaxed).oldValue
                let limit = number < cutFirst ? Int.random(in: bytes) : Int.max
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: target)
                    .flatMap { outbound in
                        let toServer = Forwarder(peer: outbound, limit: limit, onCut: { proxy.value?.cuts.wrappingAdd(1, ordering: .relaxed) })
                        let toClient = Forwarder(peer: inbound, limit: Int.max, onCut: {})
                        return inbound.pipeline.addHandler(toServer).flatMap { outbound.pipeline.addHandler(toClient) }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
        proxy.value = self
    }

    func close() async { try? await channel.close() }

    /// Set once, right after the proxy binds, before any connection can read it.
    final class Handoff: @unchecked Sendable { var value: ChaosProxy? }  // @unchecked Sendable: written once before use.

    /// Copies bytes to the peer; after `limit` bytes it closes both sides.
    final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked Sendable: a channel handler runs only on its channel's event loop.
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        var remaining: Int
        let onCut: @Sendable () -> Void

        init(peer: any Channel, limit: Int, onCut: @escaping @Sendable () -> Void) {
            self.peer = peer
            remaining = limit
            self.onCut = onCut
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if buffer.readableBytes >= remaining {
                // Deliver part of the frame, then cut: the server sees a truncated batch.
                if remaining > 0, let part = buffer.readSlice(length: remaining) { peer.writeAndFlush(part, promise: nil) }
                remaining = 0
                onCut()
                peer.close(promise: nil)
                context.close(promise: nil)
                return
            }
            remaining -= buffer.readableBytes
            peer.writeAndFlush(buffer, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
