import HTTPTypes
import Hummingbird
import RastroDashboard
import RastroQueries

/// A path the server answers, asked with a method it does not answer there, gets 405 and the methods it does
/// (RFC 9110 §15.5.6) instead of the router's 404: a client learns it has the path right and the method wrong. The
/// paths and methods are the OpenAPI document's and the dashboard's, the same list the document is built from.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each answered path as segments (`nil` for a `{parameter}` segment) and the methods it answers.
    static var routes: [(segments: [Substring?], allow: [String])] {
        var methods: [String: Set<String>] = [:]
        for (method, path) in OpenAPIDocument.operations { methods[path, default: []].insert(method) }
        for path in DashboardPage.assetPaths { methods[path, default: []].insert("GET") }
        return methods.keys.sorted().map { path in
            let allowed = methods[path]!
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") ? nil : $0 }
            return (segments, (allowed.contains("GET") ? ["GET", "HEAD"] : []) + allowed.subtracting(["GET"]).sorted())
        }
    }

    let routes = Self.routes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let segments = path.split(separator: "/")
            guard
                let route = routes.first(where: { route in
                    // A trailing parameter takes the rest of the path (a tracking id may hold slashes).
                    let trailing = route.segments.last.map { $0 == nil } ?? false
                    let fits = trailing ? segments.count >= route.segments.count : segments.count == route.segments.count
                    return fits && zip(route.segments, segments).allSatisfy { $0 == nil || $0 == $1 }
                }),
                !route.allow.contains(request.method.rawValue)
            else { throw error }
            var response = HTTPService.error(
                .methodNotAllowed, "\(request.method.rawValue) is not answered at \(path); use \(route.allow.joined(separator: " or "))")
            response.headers[.allow] = route.allow.joined(separator: ", ")
            return response
        }
    }
}
