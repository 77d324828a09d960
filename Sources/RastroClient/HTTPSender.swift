import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RastroCore

/// Posts chunks of CSV rows to `POST /v1/scans` on one keep-alive connection, retrying a chunk after a failure (its
/// rows already stored come back as duplicates).
struct HTTPSender {
    let configuration: SendConfiguration
    let source: BatchSource
    let statistics: SendStatistics
    let tls: NIOSSLContext?

    func run() async throws {
        var pending: (header: [UInt8], rows: [UInt8], count: Int)? = nil
        var failures = 0
        while true {
            do {
                try await connection(pending: &pending) { failures = 0 }
                if pending == nil { return }
            } catch let failure as SendFailure {
                throw failure
            } catch {
                failures += 1
                try await configuration.reconnect(after: failures, error, statistics: statistics)
            }
        }
    }

    func connection(pending: inout (header: [UInt8], rows: [UInt8], count: Int)?, connected: () -> Void) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: configuration.host, port: configuration.port) { [configuration, tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    try configuration.addTLS(to: channel, context: tls)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        var current = pending
        defer { pending = current }
        try await channel.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            while true {
                if current == nil { current = try source.nextRows() }
                guard let chunk = current else { return }
                var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/scans")
                head.headers.add(name: "Host", value: "\(configuration.host):\(configuration.port)")
                head.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
                head.headers.add(name: "Content-Type", value: "text/csv")
                head.headers.add(name: "Content-Length", value: "\(chunk.header.count + chunk.rows.count)")
                try await outbound.write(.head(head))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk.header + chunk.rows))))
                try await outbound.write(.end(nil))
                statistics.sent(chunk.count)
                var status: HTTPResponseStatus? = nil
                var body: [UInt8] = []
                while let part = try await responses.next() {
                    switch part {
                    case .head(let responseHead): status = responseHead.status
                    case .body(var buffer): body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    case .end: break
                    }
                    if case .end = part { break }
                }
                guard let status else { throw CSVSender.Dropped() }
                let text = String(decoding: body, as: UTF8.self)
                if status == .unauthorized || status == .forbidden { throw SendFailure("refused: \(text)") }
                guard status == .ok else { throw SendFailure("HTTP \(status.code): \(text)") }
                statistics.add(
                    accepted: jsonInteger(text, "accepted"), duplicates: jsonInteger(text, "duplicates"),
                    conflicts: jsonInteger(text, "conflicts"), rejected: jsonInteger(text, "rejected"))
                // Answered: the connection works (a TLS or HTTP failure before this is a failed attempt).
                connected()
                current = nil
            }
        }
    }
}

/// The integer after `"name":` in a flat JSON object.
func jsonInteger(_ text: String, _ name: String) -> Int {
    guard let range = text.range(of: "\"\(name)\":") else { return 0 }
    return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
}
