import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOPosix
import RastroAnalytics
import RastroCore
import RastroDashboard
import RastroPrimitives
import RastroQueries
import RastroStore

/// The read API: `GET /v1/<report>` for every report the CLI has, `/v1/items/{tracking_id}`, `/v1/export` and
/// `/v1/openapi.json` (docs/api.md).
///
/// Each route hands its query parameters, by name, to the same ``ReportQuery`` the CLI command uses and renders the
/// table the same way, so its CSV is byte-identical to `rastro <report> --format csv` and its JSON to `--format json`.
/// Reports run on ``readThreads`` inside one LMDB read transaction each: they never wait for the writer, nor it for
/// them, and at their priority they take only the cores ingest leaves.
enum ReadAPI {
    /// The threads reports run and render on, one per core, at ``Limits/readerNice``: a report yields the cores to
    /// ingest instead of sharing them equally with it. Started once for the process, like NIO's own pool.
    static let readThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, System.coreCount))
        pool.start()
        return pool
    }()

    static func register(on router: Router<PeerRequestContext>, server: ServerContext) {
        for query in ReportQueries.all {
            // A tracking id may hold slashes (DOC/2026/000017), sent as they are or as %2F: the item route takes the
            // rest of the path.
            let path = query == TraceQuery.self ? "v1/items/**" : "v1/\(query.name)"
            router.get(RouterPath(path)) { request, context -> Response in
                try await answer(query, request, context, server)
            }
        }
        router.get("v1/export") { request, context -> Response in
            try await export(request, context, server)
        }
        // The dashboard: a page, its script and its style sheet, compiled into the binary.
        for (path, type, body) in DashboardPage.assets {
            let bytes = ByteBuffer(string: body)
            router.get(RouterPath(path)) { _, _ -> Response in
                var headers = HTTPFields()
                headers[.contentType] = type
                for (name, value) in DashboardPage.securityHeaders { headers[HTTPField.Name(name)!] = value }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
            }
        }
        router.get("v1/openapi.json") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    /// A refusal before any work, or the token allowed to read.
    enum Admission {
        case refused(Response)
        case admitted(TokenRecord)
    }

    /// Checks the token (analyst or gateway), the token's request rate and the requests running; audits a token's
    /// first read of the day.
    static func admit(_ request: Request, _ context: PeerRequestContext, _ server: ServerContext, export: Bool = false) -> Admission {
        guard let authorization = request.headers[.authorization], let bearer = HTTPService.bearerToken(authorization) else {
            return .refused(HTTPService.error(.unauthorized, "send an analyst or gateway token as Authorization: Bearer <token>"))
        }
        let token: TokenRecord
        switch server.authorize(bearer, peer: context.peer, address: context.address, channel: "http", reading: true) {
        case .failure(.throttled(let address, let seconds)):
            var response = HTTPService.error(.tooManyRequests, "\(ServerContext.Refusal.throttled(address: address, retryAfterSeconds: seconds))")
            response.headers[.retryAfter] = "\(seconds)"
            return .refused(response)
        case .failure(let refusal):
            return .refused(HTTPService.error(refusal.isAnalyst ? .forbidden : .unauthorized, "\(refusal)"))
        case .success(let record):
            token = record
        }
        let now = serverMilliseconds()
        switch server.reads.begin(token: token.id, now: now, export: export) {
        case .rate(let seconds):
            server.metrics.readsRefused.increment()
            var response = HTTPService.error(
                .tooManyRequests, "token \(token.id) made more than \(server.limits.readsPerSecond) reads per second; try again in \(seconds) s")
            response.headers[.retryAfter] = "\(seconds)"
            return .refused(response)
        case .busy:
            server.metrics.readsRefused.increment()
            var response = HTTPService.error(.serviceUnavailable, "\(server.limits.concurrentReads) reads are running; try again")
            response.headers[.retryAfter] = "1"
            return .refused(response)
        case .exportsBusy:
            server.metrics.readsRefused.increment()
            var response = HTTPService.error(.serviceUnavailable, "\(server.limits.concurrentExports) exports are running; try again")
            response.headers[.retryAfter] = "5"
            return .refused(response)
        case nil:
            break
        }
        if server.reads.isFirstReadToday(token: token.id, now: now) {
            server.writer.audit(
                AuditRecord(time: now, kind: .read, token: token.id, source: context.peer, channel: "http",
                            detail: "first read of the day: \(request.uri.path)"))
        }
        return .admitted(token)
    }

    /// The tracking id of `/v1/items/<id>`: the rest of the path, percent-decoded.
    static func trackingID(_ context: PeerRequestContext) -> String {
        let raw = context.parameters.getCatchAll().joined(separator: "/")
        return raw.removingPercentEncoding ?? raw
    }

    /// The query parameters by name; a parameter given twice is an error (which one would count?).
    static func parameters(_ request: Request, path: [String: String] = [:]) throws(QueryError) -> [String: String?] {
        var values: [String: String?] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard values[name] == nil else { throw QueryError(name, "given twice") }
            values[name] = String(value)
        }
        for (name, value) in path { values[name] = value }
        return values
    }

    /// `format=csv|json`, else the `Accept` header (`text/csv` chooses CSV), else JSON.
    static func format(_ values: inout [String: String?], _ request: Request) throws(QueryError) -> OutputFormat {
        if let given = values.removeValue(forKey: "format") {
            switch given {
            case "csv": return .csv
            case "json": return .json
            default: throw QueryError("format", "'\(given ?? "")' is not one of csv, json")
            }
        }
        let accept = request.headers[.accept] ?? ""
        return accept.contains("text/csv") ? .csv : .json
    }

    static func problem(_ error: QueryError) -> Response {
        var response = HTTPService.json(
            .badRequest,
            Problem(title: "Bad Request", status: 400, detail: error.description, parameter: error.parameter))
        response.headers[.contentType] = "application/problem+json"
        return response
    }

    static func answer(
        _ type: any ReportQuery.Type, _ request: Request, _ context: PeerRequestContext, _ server: ServerContext
    ) async throws -> Response {
        if case .refused(let response) = admit(request, context, server) { return response }
        defer { server.reads.finished() }
        let started = ContinuousClock.now
        let query: any ReportQuery
        let format: OutputFormat
        do throws(QueryError) {
            let path = type == TraceQuery.self ? ["tracking_id": trackingID(context)] : [:]
            var values = try parameters(request, path: path)
            format = try self.format(&values, request)
            let given = QueryParameters(values, maximumSpanDays: server.limits.queryDays)
            try given.checkKnown(type.parameters)
            query = try type.init(given, zone: server.store.zone, now: serverMilliseconds())
        } catch {
            return problem(error)
        }
        let store = server.store
        let body: ByteBuffer
        do {
            body = try await readThreads.runIfActive {
                ThreadPriority.setCurrentThreadNice(Limits.readerNice)
                return ByteBuffer(string: try query.table(store).render(format))
            }
        } catch let error as NotFound {
            return HTTPService.error(.notFound, error.description)
        } catch let error as UnknownName {
            return HTTPService.error(.badRequest, error.description)
        }
        server.metrics.reads[type.name]?.increment()
        server.metrics.readSeconds[type.name]?.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        var headers = HTTPFields()
        headers[.contentType] = format.mediaType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// The stored scans as CSV in the import dialect, streamed from one read transaction: a reader thread encodes
    /// 1 MiB chunks into a ``ChunkPipe`` and the response writes them as the client takes them.
    static func export(_ request: Request, _ context: PeerRequestContext, _ server: ServerContext) async throws -> Response {
        if case .refused(let response) = admit(request, context, server, export: true) { return response }
        let query: ExportQuery
        do throws(QueryError) {
            var values = try parameters(request)
            if let format = values.removeValue(forKey: "format"), format != "csv" {
                throw QueryError("format", "an export is CSV (the import dialect) only")
            }
            let given = QueryParameters(values, maximumSpanDays: server.limits.queryDays)
            try given.checkKnown(ExportQuery.parameters)
            query = try ExportQuery(given, zone: server.store.zone)
        } catch {
            server.reads.finished(export: true)
            return problem(error)
        }
        let started = ContinuousClock.now
        let pipe = ChunkPipe(patienceSeconds: server.limits.idleTimeoutSeconds)
        let (store, reads, metrics) = (server.store, server.reads, server.metrics)
        // The slot is given back when the reader ends: it always does, by finishing, failing, or finding the client
        // gone or stalled past the idle timeout.
        let reader = OwnedThread(name: "rastro-export") {
            ThreadPriority.setCurrentThreadNice(Limits.readerNice)
            do {
                _ = try store.read { reader in try query.write(reader) { try pipe.send($0) } }
                pipe.finish(nil)
            } catch {
                pipe.finish(error)
            }
            reads.finished(export: true)
        }
        var headers = HTTPFields()
        headers[.contentType] = OutputFormat.csv.mediaType
        headers[.contentDisposition] = "attachment; filename=\"rastro-export.csv\""
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                defer {
                    pipe.cancel()
                    reader.join()
                }
                // A failure after the first chunk cannot change the status: the response is cut short instead, which
                // a client sees as an incomplete chunked body, not as a complete export.
                while let chunk = try await pipe.next() { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
                metrics.reads[ExportQuery.name]?.increment()
                metrics.readSeconds[ExportQuery.name]?.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            })
    }
}
