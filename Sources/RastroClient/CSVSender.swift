import NIOCore
import NIOPosix
import NIOSSL
import RastroCore

/// A connection speaking the CSV line protocol: `AUTH`, the header, rows; the answers (`ERR …`, `OK a d c r`) come
/// back in order. Chunks not fully answered when the connection drops are sent again on the next one (their rows
/// already stored come back as duplicates).
struct CSVSender {
    let configuration: SendConfiguration
    let source: BatchSource
    let statistics: SendStatistics
    let tls: NIOSSLContext?

    struct Dropped: Error {}

    func run() async throws {
        var outstanding: [(header: [UInt8], rows: [UInt8], count: Int)] = []
        var exhausted = false
        var failures = 0
        while !(exhausted && outstanding.isEmpty) {
            do {
                try await connection(outstanding: &outstanding, exhausted: &exhausted) { failures = 0 }
            } catch let failure as SendFailure {
                throw failure
            } catch {
                failures += 1
                try await configuration.reconnect(after: failures, error, statistics: statistics)
            }
        }
    }

    func connection(
        outstanding: inout [(header: [UInt8], rows: [UInt8], count: Int)], exhausted: inout Bool, connected: () -> Void
    ) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: configuration.host, port: configuration.port) { [configuration, tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    try configuration.addTLS(to: channel, context: tls)
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)) }
            }
        var queue = outstanding
        var done = exhausted
        defer {
            outstanding = queue
            exhausted = done
        }
        try await channel.executeThenClose { inbound, outbound in
            var lines = LineReader(inbound.makeAsyncIterator())
            try await outbound.write(ByteBuffer(string: "AUTH \(configuration.token)\n"))
            var header: [UInt8]? = queue.first?.header
            if header == nil, let first = try source.nextRows() {
                queue.append(first)
                header = first.header
            }
            guard let header else {
                done = true
                return
            }
            try await outbound.write(ByteBuffer(bytes: header))
            var sent = 0
            for chunk in queue {
                try await outbound.write(ByteBuffer(bytes: chunk.rows))
                sent += 1
            }
            var answered = 0
            var sending = !done
            while true {
                // Keep `window` chunks unanswered in flight; then read answers.
                while sending && queue.count < configuration.window {
                    guard let chunk = try source.nextRows() else {
                        done = true
                        sending = false
                        break
                    }
                    if chunk.header != header {
                        // A file with another header needs a connection of its own.
                        queue.append(chunk)
                        sending = false
                        break
                    }
                    queue.append(chunk)
                    try await outbound.write(ByteBuffer(bytes: chunk.rows))
                    statistics.sent(chunk.count)
                    sent += 1
                }
                if queue.isEmpty || (!sending && sent == 0) { break }
                if !sending && sent == queue.filter({ $0.header == header }).count {
                    // Everything for this connection is sent: end input, so the server flushes and answers.
                    try await outbound.finish()
                }
                guard let line = try await lines.next() else { throw Dropped() }
                if line.hasPrefix("ERR 1 token ") { throw SendFailure("refused: \(line.dropFirst(12))") }
                guard line.hasPrefix("OK ") else { continue }
                let counts = line.dropFirst(3).split(separator: " ").compactMap { Int($0) }
                guard counts.count == 4 else { throw SendFailure("unexpected answer: \(line)") }
                statistics.add(accepted: counts[0], duplicates: counts[1], conflicts: counts[2], rejected: counts[3])
                answered += counts.reduce(0, +)
                while let first = queue.first, first.header == header, answered >= first.count {
                    answered -= first.count
                    queue.removeFirst()
                    sent -= 1
                }
                if !sending && sent == 0 { break }
            }
        }
        connected()
    }
}

/// Lines from a byte stream, across reads.
struct LineReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var buffer: [UInt8] = []

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

    mutating func next() async throws -> String? {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 1)
                return line
            }
            guard var chunk = try await iterator.next() else { return nil }
            buffer.append(contentsOf: chunk.readBytes(length: chunk.readableBytes) ?? [])
        }
    }
}
