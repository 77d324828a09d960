import Foundation

/// The OpenAPI 3.1 description of `rastrod`'s HTTP port, built from the same parameter specs the routes check, so
/// that the document and the server cannot drift. `docs/openapi.json` holds a copy (a test keeps it equal) and the
/// server serves it at `/v1/openapi.json`.
public enum OpenAPIDocument {
    public static let json: String = {
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }()

    /// Every `(method, path)` the document describes.
    public static var operations: [(method: String, path: String)] {
        let paths = document["paths"] as! [String: [String: Any]]
        return paths.keys.sorted().flatMap { path in paths[path]!.keys.sorted().map { ($0.uppercased(), path) } }
    }

    static func path(of name: String) -> String { name == TraceQuery.name ? "/v1/items/{tracking_id}" : "/v1/\(name)" }

    static func schema(_ kind: QueryParameter.Kind) -> [String: Any] {
        switch kind {
        case .text, .list: ["type": "string", "minLength": 1]
        case .instant:
            [
                "type": "string", "pattern": instantPattern,
                "description": "A date YYYY-MM-DD (local midnight in the site time zone) or an ISO 8601 timestamp "
                    + "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM] (site time when it has no offset); a real calendar date.",
            ]
        case .duration: ["type": "string", "pattern": "^([0-9]+[dhms])+$"]
        case .choice(let values): ["type": "string", "enum": values]
        }
    }

    /// Every shape `parseInstant` reads: a date, or a timestamp with an optional fraction and offset, each field in
    /// range. Whether the day exists in its month is said in the description: a pattern cannot say it.
    static let instantPattern =
        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        + "([Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.,][0-9]+)?)?([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?$"

    static func parameter(_ spec: QueryParameter) -> [String: Any] {
        var schema = schema(spec.kind)
        if let value = spec.defaultValue { schema["default"] = value }
        var parameter: [String: Any] = [
            "name": spec.name, "in": spec.inPath ? "path" : "query", "required": spec.isRequired || spec.inPath,
            "description": spec.summary, "schema": schema,
        ]
        // An item of the demo data (`make run`), so that a reader of the document can try the route as it stands.
        if spec.inPath { parameter["example"] = "GU0001000161" }
        return parameter
    }

    static var problem: [String: Any] { [
        "description": "An RFC 9457 problem document; `parameter` names the query parameter that was wrong.",
        "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
    ] }

    static func errors(_ codes: [String]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: codes.map { ($0, problem as Any) })
    }

    static let readErrors = ["400", "401", "403", "429", "503"]

    static var formatParameter: [String: Any] { [
        "name": "format", "in": "query", "required": false,
        "description": "csv or json (default: the Accept header; text/csv chooses CSV, anything else JSON).",
        "schema": ["type": "string", "enum": ["csv", "json"]],
    ] }

    static func report(_ query: any ReportQuery.Type) -> [String: Any] {
        var responses = errors(readErrors + (query == TraceQuery.self ? ["404"] : []))
        responses["200"] = [
            "description": "The report: the rows of `rastro \(query.name) --format json`, or its CSV.",
            "content": [
                "application/json": ["schema": ["type": "array", "items": ["type": "object"]]],
                "text/csv": ["schema": ["type": "string"]],
            ],
        ]
        return [
            "get": [
                "operationId": query.name, "summary": query.summary, "security": [["bearer": [String]()]],
                "parameters": query.parameters.map(parameter) + [formatParameter], "responses": responses,
            ] as [String: Any]
        ]
    }

    static var document: [String: Any] {
        var paths: [String: Any] = [:]
        for query in ReportQueries.all { paths[path(of: query.name)] = report(query) }
        var exportResponses = errors(readErrors)
        exportResponses["200"] = [
            "description": "Stored scans in the import dialect, streamed.",
            "content": ["text/csv": ["schema": ["type": "string"]]],
        ]
        paths["/v1/export"] = [
            "get": [
                "operationId": "export", "summary": ExportQuery.summary, "security": [["bearer": [String]()]],
                "parameters": ExportQuery.parameters.map(parameter) + [[
                    "name": "format", "in": "query", "required": false, "description": "csv (the only format of an export).",
                    "schema": ["type": "string", "enum": ["csv"]],
                ]],
                "responses": exportResponses,
            ] as [String: Any]
        ]
        var scanResponses = errors(["400", "401", "403", "413", "415", "429", "503"])
        scanResponses["200"] = [
            "description": "Counts over every row of the body, and each refused row's line, field and reason.",
            "content": ["application/json": ["schema": ["$ref": "#/components/schemas/ScansAnswer"]]],
        ]
        paths["/v1/scans"] = [
            "post": [
                "operationId": "postScans", "summary": "Store scans: a CSV body, answered after the durable commit.",
                "security": [["bearer": [String]()]],
                "requestBody": ["required": true, "content": ["text/csv": ["schema": ["type": "string"]]]],
                "responses": scanResponses,
            ] as [String: Any]
        ]
        paths["/healthz"] = [
            "get": [
                "operationId": "health", "summary": "Whether commits succeed.",
                "responses": [
                    "200": ["description": "Healthy.", "content": ["application/json": ["schema": ["type": "object"]]]],
                    "503": ["description": "Commits are failing (a full disk): the reason.", "content": ["application/json": ["schema": ["type": "object"]]]],
                ],
            ] as [String: Any]
        ]
        paths["/metrics"] = [
            "get": [
                "operationId": "metrics", "summary": "Prometheus metrics.",
                "responses": ["200": ["description": "The text exposition format.", "content": ["text/plain": ["schema": ["type": "string"]]]]],
            ] as [String: Any]
        ]
        for (path, type, summary) in [
            ("/", "text/html", "The dashboard (docs/api.md): a page that asks this API with the analyst's token."),
            ("/dashboard.js", "text/javascript", "The dashboard's script."), ("/dashboard.css", "text/css", "The dashboard's style sheet."),
            ("/favicon.svg", "image/svg+xml", "The dashboard's icon."),
        ] {
            paths[path] = [
                "get": [
                    "operationId": path == "/" ? "dashboard" : String(path.dropFirst()), "summary": summary,
                    "responses": ["200": ["description": "Served from the binary.", "content": [type: ["schema": ["type": "string"]]]]],
                ] as [String: Any]
            ]
        }
        paths["/v1/openapi.json"] = [
            "get": [
                "operationId": "openapi", "summary": "This document.",
                "responses": ["200": ["description": "OpenAPI 3.1.", "content": ["application/json": ["schema": ["type": "object"]]]]],
            ] as [String: Any]
        ]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Rastro", "version": "1",
                "description": "Scan ingest and the reports of the rastro CLI, on rastrod's HTTP port. Every report's CSV is byte-identical to `rastro <report> --format csv`.",
            ],
            "paths": paths,
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": [
                    "Problem": [
                        "type": "object", "required": ["type", "title", "status", "detail"],
                        "properties": [
                            "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
                            "detail": ["type": "string"], "parameter": ["type": "string"],
                        ],
                    ],
                    "ScansAnswer": [
                        "type": "object", "required": ["accepted", "duplicates", "conflicts", "rejected", "errors"],
                        "properties": [
                            "accepted": ["type": "integer"], "duplicates": ["type": "integer"], "conflicts": ["type": "integer"],
                            "rejected": ["type": "integer"], "errors_omitted": ["type": "integer"],
                            "errors": [
                                "type": "array",
                                "items": [
                                    "type": "object",
                                    "properties": ["line": ["type": "integer"], "field": ["type": "string"], "reason": ["type": "string"]],
                                ],
                            ],
                        ],
                    ],
                ],
            ] as [String: Any],
        ]
    }
}
