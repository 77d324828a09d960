import RastroCore
import RastroStore

/// One report, asked the same way by `rastro <name>` and `GET /v1/<name>`: parameters by name in, a table out.
///
/// Both front ends parse nothing themselves: they hand the given options or query parameters to ``init(_:zone:now:)``
/// and render ``table(_:)`` in the format asked for, so an answer is byte-identical whichever asked it.
public protocol ReportQuery: Sendable {
    /// The CLI command and the API route (`/v1/<name>`).
    static var name: String { get }
    static var summary: String { get }
    static var parameters: [QueryParameter] { get }

    /// Checks and converts every parameter; `now` is the instant `at` defaults to.
    init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError)

    /// The answer, from one read transaction.
    func table(_ store: Store) throws -> ReportTable
}

/// Every report the API serves, in the order the OpenAPI document lists them.
public enum ReportQueries {
    public static let all: [any ReportQuery.Type] = [
        ProductivityQuery.self, CompareQuery.self, DurationsQuery.self, ReturnsQuery.self, StatesQuery.self,
        OverdueQuery.self, TraceQuery.self, InfoQuery.self,
    ]
}

/// A question about something the store has never seen: the HTTP API answers 404.
public struct NotFound: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
