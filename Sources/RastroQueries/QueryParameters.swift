import RastroAnalytics
import RastroCore

/// One parameter of a report: the CLI's `--some-name` option is the HTTP API's `some_name` query parameter, with the
/// same meaning, values and default (docs/api.md). The specs drive the OpenAPI document and the HTTP API's refusal
/// of parameters it does not know.
public struct QueryParameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case text
        /// A date (local midnight in the site zone) or a timestamp.
        case instant
        /// `36h`, `2d`, `1h30m`, `45s`.
        case duration
        case choice([String])
        /// Comma-separated values.
        case list
    }

    public var name: String
    public var kind: Kind
    public var isRequired: Bool
    public var summary: String
    public var defaultValue: String?
    /// Taken from the path (`/v1/items/{tracking_id}`) rather than the query string.
    public var inPath: Bool

    public init(
        _ name: String, _ kind: Kind, required: Bool = false, default defaultValue: String? = nil, inPath: Bool = false,
        _ summary: String
    ) {
        self.name = name
        self.kind = kind
        self.isRequired = required
        self.summary = summary
        self.defaultValue = defaultValue
        self.inPath = inPath
    }

    /// The CLI option (`--from-event`) of this parameter (`from_event`).
    public var option: String { "--" + name.replacingUnderscores() }

    static let from = QueryParameter("from", .instant, "Start, inclusive: a date (local midnight) or a timestamp.")
    static let to = QueryParameter("to", .instant, "End, exclusive: a date (local midnight) or a timestamp.")
    static let at = QueryParameter("at", .instant, "The instant: a date (local midnight) or a timestamp; default now.")
    static let events = Event.allCases.map(\.code)
}

/// A parameter that is missing, unknown or malformed: the HTTP API answers 400 naming it, the CLI names its option.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var parameter: String
    public var message: String

    public init(_ parameter: String, _ message: String) {
        self.parameter = parameter
        self.message = message
    }

    public var description: String { "\(parameter): \(message)" }
}

/// The parameters of one question, by name, as given (CLI options or a URL's query string).
public struct QueryParameters: Sendable {
    public private(set) var values: [String: String]
    /// The longest `from`–`to` span a question may give, in days (`nil`: unbounded, as on the command line). An open
    /// window (no `from` or no `to`) stays allowed, as in the CLI: it covers what is stored.
    public var maximumSpanDays: Int?

    public init(_ values: [String: String?], maximumSpanDays: Int? = nil) {
        self.values = values.compactMapValues { $0 }
        self.maximumSpanDays = maximumSpanDays
    }

    /// Throws for a parameter `specs` do not list: a misspelt filter must not silently widen the answer.
    public func checkKnown(_ specs: [QueryParameter], also allowed: Set<String> = []) throws(QueryError) {
        let known = Set(specs.map(\.name)).union(allowed)
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            let names = specs.filter { !$0.inPath }.map(\.name).joined(separator: ", ")
            throw QueryError(unknown, "unknown parameter (this report takes: \(names.isEmpty ? "none" : names))")
        }
    }

    public func text(_ name: String) throws(QueryError) -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty else { throw QueryError(name, "empty") }
        return value
    }

    public func required(_ name: String) throws(QueryError) -> String {
        guard let value = try text(name) else { throw QueryError(name, "required") }
        return value
    }

    public func choice<Value: RawRepresentable<String>>(_ name: String, among allowed: [Value]) throws(QueryError) -> Value? {
        guard let text = try text(name) else { return nil }
        guard let value = allowed.first(where: { $0.rawValue == text }) else {
            throw QueryError(name, "'\(text)' is not one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    public func event(_ name: String) throws(QueryError) -> Event? {
        guard let text = try text(name) else { return nil }
        guard let event = Event(code: text) else {
            throw QueryError(name, "'\(text)' is not an event (\(QueryParameter.events.joined(separator: ", ")))")
        }
        return event
    }

    public func list(_ name: String) throws(QueryError) -> [String]? {
        try text(name).map { $0.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty } }
    }

    public func instant(_ name: String, zone: inout SiteTimeZone) throws(QueryError) -> Int64? {
        guard let text = try text(name) else { return nil }
        do {
            return try parseInstant(text, zone: &zone)
        } catch {
            throw QueryError(name, "\(error)")
        }
    }

    public func duration(_ name: String) throws(QueryError) -> Int64? {
        guard let text = try text(name) else { return nil }
        do {
            return try parseDuration(text)
        } catch {
            throw QueryError(name, "\(error)")
        }
    }

    /// `from` and `to`, `to` after `from`, their span within ``maximumSpanDays``.
    public func window(zone: inout SiteTimeZone) throws(QueryError) -> TimeWindow {
        let window = TimeWindow(from: try instant("from", zone: &zone), to: try instant("to", zone: &zone))
        if let from = window.from, let to = window.to {
            guard to > from else { throw QueryError("to", "must be after from") }
            if let maximumSpanDays, to - from > Int64(maximumSpanDays) * 86_400_000 {
                throw QueryError("to", "the window spans more than \(maximumSpanDays) days, this server's bound")
            }
        }
        return window
    }
}

/// `value`, or a "required" error naming `parameter`.
func present<Value>(_ value: Value?, _ parameter: String) throws(QueryError) -> Value {
    guard let value else { throw QueryError(parameter, "required") }
    return value
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }

    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
