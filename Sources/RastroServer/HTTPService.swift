import Hummingbird
import Logging
import NIOCore
import RastroCSV
import RastroCore
import RastroStore
import ServiceLifecycle

/// `POST /v1/scans` (a CSV body, `Authorization: Bearer <token>`), answered after the durable commit with JSON counts
/// and per-row errors; `GET /healthz`; `GET /metrics` in Prometheus format.
enum HTTPService {
    static func application(
        server: ServerContext, host: String, port: Int, group: any EventLoopGroup, onRunning: @escaping @Sendable (Int) -> Void
    ) -> some Service {
        let router = Router(context: PeerRequestContext.self)
        router.get("healthz") { _, _ -> Response in
            json(.ok, "{\"status\":\"ok\"}")
        }
        router.get("metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: server.metrics.exposition())))
        }
        router.post("v1/scans") { request, context -> Response in
            try await postScans(request, context: context, server: server)
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "rastrod"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
            eventLoopGroupProvider: .shared(group), logger: server.logger)
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, "{\"error\":\(JSONText.quoted(message))}")
    }

    static func postScans(_ request: Request, context: PeerRequestContext, server: ServerContext) async throws -> Response {
        let peer = context.peer
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") else {
            return error(.unauthorized, "send the token as Authorization: Bearer <token>")
        }
        let token: TokenRecord
        switch server.authorize(String(authorization.dropFirst(7)), peer: peer, channel: "http") {
        case .failure(let refusal):
            return error(refusal.isAnalyst ? .forbidden : .unauthorized, "\(refusal)")
        case .success(let record):
            token = record
        }
        guard !server.connections.isDraining else { return error(.serviceUnavailable, "the server is shutting down") }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: server.limits.httpBodyBytes)
        } catch {
            return self.error(.contentTooLarge, "the body is larger than \(server.limits.httpBodyBytes) bytes")
        }
        server.metrics.bytesIn.increment(by: body.readableBytes)
        // Parse the whole body into batches, then commit them; every row's fate is in the answer.
        let reader = CSVScanReader(validator: server.validator)
        var batches: [(batch: ScanBatch, errors: [(line: Int, field: String, reason: String)])] = []
        var offset = 0
        let receivedAt = serverReceiveTime()
        do {
            try body.withUnsafeReadableBytes { bytes in
                while offset < bytes.count || batches.isEmpty {
                    var batch = ScanBatch()
                    var rejects: [CSVRejection] = []
                    offset += try reader.read(
                        UnsafeRawBufferPointer(rebasing: bytes[offset...]), isFinal: true, receivedAt: receivedAt,
                        maximumScans: server.limits.scansPerBatch, into: &batch, rejects: &rejects)
                    var errors = rejects.map { (line: $0.line, field: $0.field, reason: $0.reason) }
                    for (line, message) in enforceDevice(token, on: &batch) { errors.append((line, "device", message)) }
                    batches.append((batch, errors))
                    if offset >= bytes.count { break }
                }
            }
        } catch let failure as CSVFileError {
            return error(.badRequest, "line \(failure.line): \(failure.message)")
        }
        var accepted = 0
        var duplicates = 0
        var conflicts = 0
        var rejected = 0
        var errors: [(line: Int, field: String, reason: String)] = []
        for (batch, early) in batches {
            server.metrics.countRejected(early.count)
            server.metrics.batchScans.record(batch.count + early.count)
            let response = await withCheckedContinuation { (continuation: CheckedContinuation<Result<IngestResponse, any Error>, Never>) in
                server.writer.submit(
                    IngestRequest(
                        batch: batch,
                        audit: AuditRecord(time: serverMilliseconds(), kind: .batch, token: token.id, source: peer, channel: "http", rejected: early.count))
                ) { continuation.resume(returning: $0) }
            }
            guard case .success(.committed(let report, _)) = response else {
                return error(.serviceUnavailable, "the batch was not stored: \(response)")
            }
            accepted += report.accepted
            duplicates += report.duplicates
            conflicts += report.conflicts
            rejected += report.rejected + early.count
            errors += early
            for problem in report.problems {
                errors.append((Int(batch.scans[problem.index].source), problem.field?.name ?? "row", "\(problem.kind.rawValue): \(problem.message)"))
            }
        }
        errors.sort { $0.line < $1.line }
        let errorList = errors.map { "{\"line\":\($0.line),\"field\":\(JSONText.quoted($0.field)),\"reason\":\(JSONText.quoted($0.reason))}" }
        return json(
            .ok,
            "{\"accepted\":\(accepted),\"duplicates\":\(duplicates),\"conflicts\":\(conflicts),\"rejected\":\(rejected),"
                + "\"errors\":[\(errorList.joined(separator: ","))]}")
    }
}

/// Hummingbird's request context plus the peer's address, for the audit trail.
struct PeerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = peerDescription(source.channel)
    }
}
