import Foundation
import Hummingbird
import HummingbirdCore
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
        server: ServerContext, host: String, port: Int, group: any EventLoopGroup, tls: ServerTLS?,
        onRunning: @escaping @Sendable (Int) -> Void
    ) -> some Service {
        let router = Router(context: PeerRequestContext.self)
        router.add(middleware: MethodNotAllowedMiddleware())
        // Unhealthy while commits fail (a full disk): a load balancer sends handhelds elsewhere, an operator is paged.
        router.get("healthz") { _, _ -> Response in
            if let failure = server.writer.commitFailure {
                return json(.serviceUnavailable, ["status": "unhealthy", "reason": "commits are failing: \(failure)"])
            }
            return json(.ok, ["status": "ok"])
        }
        router.get("metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: server.metrics.exposition())))
        }
        router.post("v1/scans") { request, context -> Response in
            try await postScans(request, context: context, server: server)
        }
        ReadAPI.register(on: router, server: server)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [HTTPConnectionGate(server: server)],
            idleTimeout: .seconds(Int64(server.limits.idleTimeoutSeconds)))
        let builder: HTTPServerBuilder
        if let tls {
            builder = HTTPServerBuilder { responder in
                ReloadableTLSChannel(base: HTTP1Channel(responder: responder, configuration: http1), tls: tls)
            }
        } else {
            builder = .http1(configuration: http1)
        }
        return Application(
            router: router,
            server: builder,
            configuration: .init(address: .hostname(host, port: port), serverName: "rastrod"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
            eventLoopGroupProvider: .shared(group), logger: server.logger)
    }

    /// A JSON answer, encoded with `Codable`, one line.
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        var bytes = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        bytes.append(UInt8(ascii: "\n"))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An error answer: an RFC 9457 problem document (`application/problem+json`) whose `detail` says what was wrong.
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var response = json(status, Problem(title: status.reasonPhrase, status: status.code, detail: message))
        response.headers[.contentType] = "application/problem+json"
        return response
    }

    /// Media types `POST /v1/scans` takes: CSV text (a request without a type is taken as CSV).
    static let csvMediaTypes: Set<String> = ["text/csv", "text/plain", "application/csv"]

    /// Whether a `Content-Type` value names CSV text, parameters (`; charset=utf-8`) aside.
    static func isCSV(_ contentType: String?) -> Bool {
        guard let contentType else { return true }
        let mediaType = contentType.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased()
        return csvMediaTypes.contains(mediaType)
    }

    /// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110 §11.1).
    static func bearerToken(_ authorization: String) -> String? {
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }

    static func postScans(_ request: Request, context: PeerRequestContext, server: ServerContext) async throws -> Response {
        let peer = context.peer
        guard let authorization = request.headers[.authorization], let bearer = bearerToken(authorization) else {
            return error(.unauthorized, "send the token as Authorization: Bearer <token>")
        }
        let token: TokenRecord
        switch server.authorize(bearer, peer: peer, address: context.address, channel: "http") {
        case .failure(.throttled(let address, let seconds)):
            var response = error(.tooManyRequests, "\(ServerContext.Refusal.throttled(address: address, retryAfterSeconds: seconds))")
            response.headers[.retryAfter] = "\(seconds)"
            return response
        case .failure(let refusal):
            return error(refusal.isAnalyst ? .forbidden : .unauthorized, "\(refusal)")
        case .success(let record):
            token = record
        }
        guard !server.connections.isDraining else { return error(.serviceUnavailable, "the server is shutting down") }
        guard isCSV(request.headers[.contentType]) else {
            return error(
                .unsupportedMediaType,
                "the body must be CSV (Content-Type: text/csv), not \(request.headers[.contentType] ?? "")")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: server.limits.httpBodyBytes)
        } catch {
            return self.error(.contentTooLarge, "the body is larger than \(server.limits.httpBodyBytes) bytes")
        }
        guard body.readableBytes > 0 else {
            return error(.badRequest, "the body is empty: send a CSV header line and rows")
        }
        server.metrics.bytesIn.increment(by: body.readableBytes)
        // Parse the whole body into batches, then commit them; every row's fate is in the answer.
        let reader = CSVScanReader(validator: server.validator)
        var batches: [(batch: ScanBatch, early: [SubmissionProblem])] = []
        var offset = 0
        let receivedAt = serverReceiveTime()
        do {
            try body.withReadableByteView { bytes in
                while offset < bytes.count || batches.isEmpty {
                    var batch = ScanBatch()
                    var rejects: [CSVRejection] = []
                    offset += try reader.read(
                        bytes.part(from: offset), isFinal: true, receivedAt: receivedAt,
                        maximumScans: server.limits.scansPerBatch, into: &batch, rejects: &rejects)
                    batches.append((batch, rejects.map(SubmissionProblem.init(rejection:))))
                    if offset >= bytes.count { break }
                }
            }
        } catch let failure as CSVFileError {
            return error(.badRequest, "line \(failure.line): \(failure.message)")
        }
        var answer = ScansAnswer(maximumErrors: server.limits.answerErrors)
        for (batch, early) in batches {
            let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<SubmissionAnswer, any Error>, Never>) in
                server.submit(batch, early: early, token: token, peer: peer, channel: .http) { continuation.resume(returning: $0) }
            }
            if case .failure(let revoked as TokenRevoked) = result { return error(.unauthorized, "\(revoked)") }
            if case .failure(let failure) = result { return error(.serviceUnavailable, "the batch was not stored: \(failure)") }
            guard case .success(.stored(let outcome, _)) = result else {
                return error(.serviceUnavailable, "the batch was not stored: \(result)")
            }
            answer.add(outcome)
        }
        answer.errors.sort { $0.line < $1.line }
        return json(.ok, answer)
    }
}

/// The answer to `POST /v1/scans`: counts over every row of the body, and each refused row's line, field and reason,
/// up to ``ServerLimits/answerErrors`` of them.
struct ScansAnswer: Encodable {
    struct RowError: Encodable {
        var line: Int
        var field: String
        var reason: String
    }

    var accepted = 0
    var duplicates = 0
    var conflicts = 0
    var rejected = 0
    var errors: [RowError] = []
    /// Refused rows beyond the first ``ServerLimits/answerErrors``, counted but not listed.
    var errorsOmitted = 0
    let maximumErrors: Int

    enum CodingKeys: String, CodingKey {
        case accepted, duplicates, conflicts, rejected, errors
        case errorsOmitted = "errors_omitted"
    }

    init(maximumErrors: Int) { self.maximumErrors = maximumErrors }

    /// Adds a batch's outcome; batches come in line order, so the rows listed are the first ones.
    mutating func add(_ outcome: SubmissionOutcome) {
        accepted += outcome.accepted
        duplicates += outcome.duplicates
        conflicts += outcome.conflicts
        rejected += outcome.rejected
        for problem in outcome.problems {
            guard errors.count < maximumErrors else {
                errorsOmitted += 1
                continue
            }
            errors.append(RowError(line: problem.source, field: problem.fieldName, reason: problem.text))
        }
    }
}

/// Every error answer, as RFC 9457 describes: `type` is `about:blank`, so `title` is the status's reason phrase.
struct Problem: Encodable {
    var type = "about:blank"
    var title: String
    var status: Int
    var detail: String
    /// The query parameter that was wrong (an extension member, RFC 9457 §3.2), when one was.
    var parameter: String? = nil
}

/// Hummingbird's request context plus the peer's address, for the audit trail.
struct PeerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peer: String
    /// The peer's address without its port, for per-address bounds.
    let address: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = peerDescription(source.channel)
        address = peerAddress(source.channel)
    }
}
