import NIOCore
import NIOPosix
import NIOSSL
import RastroCore
import RastroPrimitives
import RastroProtocol

/// One handheld-like binary connection: a session that survives reconnections, a window of batches in flight, and
/// every unacknowledged batch sent again after a drop (the server answers a resend with the answer it gave, or
/// would have given, the first time).
struct BinarySender {
    let configuration: SendConfiguration
    let source: BatchSource
    let statistics: SendStatistics
    let tls: NIOSSLContext?
    let session = UInt64.random(in: 1...UInt64.max)

    struct Dropped: Error {}

    func run() async throws {
        let ledger = Ledger(window: configuration.window)
        var nextNumber: UInt64 = 1
        var failures = 0
        var exhausted = false
        while true {
            if exhausted, await ledger.isEmpty { return }
            do {
                try await connection(ledger: ledger, nextNumber: &nextNumber, exhausted: &exhausted) { failures = 0 }
                if exhausted, await ledger.isEmpty { return }
            } catch let failure as SendFailure {
                throw failure
            } catch {
                failures += 1
                try await configuration.reconnect(after: failures, error, statistics: statistics)
            }
        }
    }

    func connection(
        ledger: Ledger, nextNumber: inout UInt64, exhausted: inout Bool, connected: () -> Void
    ) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port) { [configuration, tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    try configuration.addTLS(to: channel, context: tls)
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        await ledger.resume()
        var number = nextNumber
        var done = exhausted
        defer {
            nextNumber = number
            exhausted = done
        }
        try await channel.executeThenClose { inbound, outbound in
            var frames = FrameReader(inbound.makeAsyncIterator(), maximumBytes: 64 << 20)
            try await outbound.write(frame(.hello, Hello(session: session, token: configuration.token, client: "rastro send").encode()))
            let (type, payload) = try await frames.next() ?? { throw Dropped() }()
            if type == .error { throw SendFailure("refused: \(try payload.withByteView { try ErrorFrame.decode($0) })") }
            guard type == .welcome else { throw SendFailure("expected a welcome, got \(type)") }
            connected()
            var encoder = BatchEncoder()
            let writer = ByteWriter(reservingCapacity: 256 << 10)
            for (outstanding, batch) in await ledger.outstanding() {
                try await outbound.write(encode(batch, number: outstanding, encoder: &encoder, writer: writer))
            }
            // The reader moves to the receiving task; this one only sends from here on.
            let receiving = Handoff(frames)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Acknowledgements, until the server closes or the ledger is empty and the source exhausted.
                    var frames = receiving.value
                    do {
                        while let (type, payload) = try await frames.next() {
                            switch type {
                            case .ack:
                                let ack = try payload.withByteView { try Ack.decode($0) }
                                if let batch = await ledger.acknowledge(ack.batch) {
                                    statistics.add(accepted: ack.accepted, duplicates: ack.duplicates, conflicts: ack.conflicts, rejected: ack.rejected)
                                    configuration.onAcknowledged?(batch, ack)
                                }
                            case .error:
                                let error = try payload.withByteView { try ErrorFrame.decode($0) }
                                if error.code == .unauthorized || error.code == .forbidden || error.code == .limitExceeded
                                    || error.code == .frameTooLarge || error.code == .unsupportedVersion
                                {
                                    throw SendFailure("the server closed the connection: \(error)")
                                }
                                throw error
                            default:
                                throw ProtocolError(.unexpectedFrame, "got \(type) from the server")
                            }
                        }
                    } catch {
                        await ledger.abort()
                        throw error
                    }
                    await ledger.abort()
                    throw Dropped()
                }
                while !done {
                    await ledger.waitForRoom()
                    if await ledger.isAborted { break }
                    guard let batch = try source.nextScans() else {
                        done = true
                        break
                    }
                    // The number is spent as soon as the batch is in the ledger: if the write fails, the batch is
                    // resent under it, and the next batch must not take it.
                    let assigned = number
                    number += 1
                    await ledger.add(assigned, batch)
                    try await outbound.write(encode(batch, number: assigned, encoder: &encoder, writer: writer))
                    statistics.sent(batch.count)
                }
                await ledger.waitUntilEmpty()
                if await ledger.isEmpty {
                    group.cancelAll()
                    return
                }
                try await group.next()
            }
        }
    }

    func encode(_ batch: ScanBatch, number: UInt64, encoder: inout BatchEncoder, writer: ByteWriter) -> ByteBuffer {
        writer.removeAll()
        let payload = ByteWriter(reservingCapacity: batch.count * 40)
        encoder.encode(batch, 0..<batch.count, number: number, into: payload)
        payload.withBytes { Frame.append(.batch, payload: $0, to: writer) }
        return writer.withBytes { ByteBuffer(bytes: $0) }
    }

    func frame(_ type: FrameType, _ payload: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: Frame.encode(type, payload: payload))
    }
}

/// Frames from a byte stream, across reads.
struct FrameReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var buffer: [UInt8] = []
    let maximumBytes: Int

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, maximumBytes: Int) {
        self.iterator = iterator
        self.maximumBytes = maximumBytes
    }

    /// The next frame, or `nil` when the stream ends between frames.
    mutating func next() async throws -> (FrameType, [UInt8])? {
        while true {
            let parsed = try buffer.withByteView { bytes throws(ProtocolError) in try Frame.parse(bytes, maximumBytes: maximumBytes) }
            if case .frame(let type, let payload, let length) = parsed {
                let bytes = Array(buffer[payload])
                buffer.removeFirst(length)
                return (type, bytes)
            }
            guard var chunk = try await iterator.next() else {
                if buffer.isEmpty { return nil }
                throw BinarySender.Dropped()
            }
            buffer.append(contentsOf: chunk.readBytes(length: chunk.readableBytes) ?? [])
        }
    }
}

/// Moves a value to a task that will be its only user.
final class Handoff<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is immutable and the sender stops using it once it is handed over.
    let value: Value

    init(_ value: Value) { self.value = value }
}
