import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RastroAccess
@testable import RastroCLI
import RastroCore
import RastroDashboard
import RastroQueries
import RastroServer
import RastroStore
import RastroTestSupport
import Testing

/// The read API (`GET /v1/…`): every report answers what the CLI answers, byte for byte; tokens, parameters and
/// bounds are checked before any work; the export streams.
@Suite("Read API", .serialized)
struct ReadAPITests {
    /// A server over generated scans, and tokens of every kind.
    final class Fixture: Sendable {
        let harness: ServerHarness
        let analyst: String
        let gateway: String
        let device: String
        let trackingID: String

        init(limits: ServerLimits = ServerLimits(), scans: Int = 6_000) async throws {
            harness = try await ServerHarness(limits: limits)
            let stream = StreamFixtures.generated(scans: scans, seed: 31)
            _ = try harness.server.store.ingest(StreamFixtures.batch(stream.clean))
            analyst = try harness.token(.analyst, "ana")
            gateway = try harness.token(.gateway, "gw")
            device = try harness.token(.device, "HH-1")
            trackingID = String(stream.clean[0].split(separator: ",")[0])
        }

        func get(_ path: String, token: String?, accept: String? = nil) async throws -> (status: Int, headers: [String: String], body: String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(harness.ports.http)\(path)")!)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
            return (http.statusCode, headers, String(decoding: data, as: UTF8.self))
        }

        /// What `rastro <arguments> --data <dir>` prints.
        func cli(_ arguments: [String]) async throws -> String {
            let capture = ConsoleCapture()
            try await Console.$capture.withValue(capture) {
                var command = try Rastro.parseAsRoot(arguments + ["--data", harness.dataPath])
                try command.run()
            }
            return capture.standardOutput
        }
    }

    /// The same question through the API and the CLI: `(path with query, CLI arguments)`. Instants are explicit: `at`
    /// defaults to the moment each one asks.
    static let questions: [(String, [String])] = [
        ("/v1/productivity?by=messenger", ["productivity", "--by", "messenger"]),
        ("/v1/productivity?by=work_center&bucket=day&from=2026-09-02&to=2026-09-05",
         ["productivity", "--by", "work_center", "--bucket", "day", "--from", "2026-09-02", "--to", "2026-09-05"]),
        ("/v1/compare?by=messenger&from=2026-09-01T08:30:00", ["compare", "--by", "messenger", "--from", "2026-09-01T08:30:00"]),
        ("/v1/durations?from_event=picked_up&to_event=delivered&by=work_center",
         ["durations", "--from-event", "picked_up", "--to-event", "delivered", "--by", "work_center"]),
        ("/v1/durations?from_event=received&to_event=out_for_delivery", ["durations", "--from-event", "received", "--to-event", "out_for_delivery"]),
        ("/v1/returns?by=reason", ["returns", "--by", "reason"]),
        ("/v1/states?at=2026-09-03T12:00:00", ["states", "--at", "2026-09-03T12:00:00"]),
        ("/v1/overdue?event=received&older_than=2h&at=2026-09-02T18:00:00", ["overdue", "--event", "received", "--older-than", "2h", "--at", "2026-09-02T18:00:00"]),
        ("/v1/info", ["info"]),
    ]

    @Test func everyReportIsByteIdenticalToTheCLI() async throws {
        let fixture = try await Fixture()
        var questions = Self.questions
        questions.append(("/v1/items/\(fixture.trackingID)", ["trace", fixture.trackingID]))
        for (path, arguments) in questions {
            let separator = path.contains("?") ? "&" : "?"
            for format in ["csv", "json"] {
                let api = try await fixture.get(path + separator + "format=\(format)", token: fixture.analyst)
                #expect(api.status == 200, "\(path): \(api.body)")
                let cli = try await fixture.cli(arguments + ["--format", format])
                #expect(api.body == cli, "\(path) as \(format)")
                #expect(cli.split(separator: "\n").count > (format == "csv" ? 1 : 2), "\(path) answered nothing")
            }
            // `Accept: text/csv` chooses CSV; no preference is JSON.
            #expect(try await fixture.get(path, token: fixture.gateway, accept: "text/csv").body == (try await fixture.cli(arguments + ["--format", "csv"])))
            let json = try await fixture.get(path, token: fixture.gateway)
            #expect(json.headers["content-type"] == "application/json")
            #expect(json.body == (try await fixture.cli(arguments + ["--format", "json"])))
        }
        let metrics = fixture.harness.server.metrics.exposition()
        #expect(metrics.contains(#"rastro_reads_total{route="productivity"} 8"#), "\(metrics.split(separator: "\n").filter { $0.contains("reads") })")
        try await fixture.harness.stop()
    }

    @Test func tokensAreCheckedBeforeAnyWork() async throws {
        let fixture = try await Fixture(scans: 200)
        #expect(try await fixture.get("/v1/info", token: nil).status == 401)
        #expect(try await fixture.get("/v1/info", token: "rst_not_a_token").status == 401)
        let device = try await fixture.get("/v1/info", token: fixture.device)
        #expect(device.status == 403 && device.body.contains("device tokens cannot read"))
        #expect(device.headers["content-type"] == "application/problem+json")
        #expect(try await fixture.get("/v1/info", token: fixture.analyst).status == 200)
        #expect(try await fixture.get("/v1/info", token: fixture.gateway).status == 200)
        // A token's first read of the day is audited, once.
        _ = try await fixture.get("/v1/info", token: fixture.analyst)
        let store = fixture.harness.server.store
        try await Task.sleep(for: .milliseconds(200))
        let reads = try store.auditRecords(since: 0, limit: 100).filter { $0.kind == .read }
        #expect(reads.count == 2, "\(reads)")
        try await fixture.harness.stop()
    }

    @Test(arguments: [
        ("/v1/productivity?by=messenger&centre=BOG", "centre", 400),
        ("/v1/productivity?by=reason", "by", 400),
        ("/v1/productivity", "by", 400),
        ("/v1/productivity?by=messenger&from=2026-09-05&to=2026-09-01", "to", 400),
        ("/v1/productivity?by=messenger&from=yesterday", "from", 400),
        ("/v1/productivity?by=messenger&from=2026-+9-01", "from", 400),
        ("/v1/productivity?by=messenger&from=2026-02-30", "from", 400),
        ("/v1/states?at=2026-09-01T25:00", "at", 400),
        ("/v1/durations?from_event=delivered&to_event=delivered", "to_event", 400),
        ("/v1/overdue?event=received&older_than=36", "older_than", 400),
        ("/v1/info?format=xml", "format", 400),
        ("/v1/returns?by=reason&by=messenger", "by", 400),
        ("/v1/export?format=json", "format", 400),
    ])
    func badParametersAreProblemsNamingTheParameter(path: String, parameter: String, status: Int) async throws {
        let fixture = try await Fixture(scans: 200)
        let answer = try await fixture.get(path, token: fixture.analyst)
        #expect(answer.status == status, "\(path): \(answer.body)")
        #expect(answer.headers["content-type"] == "application/problem+json")
        let problem = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as! [String: Any]
        #expect(problem["parameter"] as? String == parameter, "\(answer.body)")
        #expect((problem["detail"] as? String)?.hasPrefix("\(parameter): ") == true)
        try await fixture.harness.stop()
    }

    /// A tracking id with slashes is traced whether they are sent as they are or as %2F.
    @Test(arguments: ["DOC/2026/000017", "DOC%2F2026%2F000017"])
    func aTrackingIDWithSlashesIsTraced(path: String) async throws {
        let fixture = try await Fixture(scans: 10)
        _ = try fixture.harness.server.store.ingest(StreamFixtures.batch([
            "DOC/2026/000017,picked_up,2026-09-01T09:05:15-05:00,MSG-1,BOG-CEN,HH-1,1,,,",
        ]))
        let answer = try await fixture.get("/v1/items/\(path)?format=csv", token: fixture.analyst)
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.body.contains("DOC/2026/000017") || answer.body.contains("picked_up"), "\(answer.body)")
        try await fixture.harness.stop()
    }

    @Test func unknownNamesAndItemsAreSaid() async throws {
        let fixture = try await Fixture(scans: 200)
        let item = try await fixture.get("/v1/items/GU-NEVER-SEEN", token: fixture.analyst)
        #expect(item.status == 404 && item.body.contains("no scans for tracking id GU-NEVER-SEEN"))
        let centre = try await fixture.get("/v1/states?center=NOWHERE", token: fixture.analyst)
        #expect(centre.status == 400 && centre.body.contains("no work_center named 'NOWHERE'"))
        try await fixture.harness.stop()
    }

    /// The export streams (chunked, in 1 MiB pieces from one read transaction) exactly what `rastro export` writes.
    @Test func theExportStreamsWhatTheCLIWrites() async throws {
        let fixture = try await Fixture(scans: 40_000)
        let file = fixture.harness.directory.path + "/export.csv"
        _ = try await fixture.cli(["export", "--out", file, "--quiet"])
        let expected = try String(contentsOfFile: file, encoding: .utf8)
        #expect(expected.utf8.count > 2 * ExportQuery.chunkBytes)
        let api = try await fixture.get("/v1/export", token: fixture.analyst)
        #expect(api.status == 200)
        #expect(api.headers["transfer-encoding"] == "chunked", "\(api.headers)")
        #expect(api.body == expected)
        let filtered = try await fixture.get("/v1/export?from=2026-09-02&to=2026-09-03", token: fixture.analyst)
        _ = try await fixture.cli(["export", "--out", file, "--quiet", "--from", "2026-09-02", "--to", "2026-09-03"])
        #expect(filtered.body == (try String(contentsOfFile: file, encoding: .utf8)))
        try await fixture.harness.stop()
    }

    @Test func readsAreBoundedPerTokenAndWindow() async throws {
        var limits = ServerLimits()
        limits.readsPerSecond = 1
        limits.readBurst = 2
        limits.queryDays = 2
        let fixture = try await Fixture(limits: limits, scans: 200)
        let wide = try await fixture.get("/v1/returns?by=reason&from=2026-09-01&to=2026-09-05", token: fixture.analyst)
        #expect(wide.status == 400 && wide.body.contains("more than 2 days"))
        let answers = [
            try await fixture.get("/v1/info", token: fixture.analyst).status,
            try await fixture.get("/v1/info", token: fixture.analyst).status,
        ]
        // The burst is spent (the refused wide window took one too): the next is refused with a Retry-After.
        let refused = try await fixture.get("/v1/info", token: fixture.analyst)
        #expect(answers.contains(200))
        #expect(refused.status == 429 && refused.headers["retry-after"] != nil, "\(refused)")
        // Another token has its own budget.
        #expect(try await fixture.get("/v1/info", token: fixture.gateway).status == 200)
        try await fixture.harness.stop()
    }

    /// `docs/openapi.json` is the document the server serves, which is built from the routes' own parameter specs.
    @Test func theOpenAPIDocumentIsServedAndKeptInDocs() async throws {
        let fixture = try await Fixture(scans: 50)
        let served = try await fixture.get("/v1/openapi.json", token: nil)
        #expect(served.status == 200)
        #expect(served.body == OpenAPIDocument.json)
        let root = String(#filePath).components(separatedBy: "/Tests/").first!
        let kept = try String(contentsOfFile: root + "/docs/openapi.json", encoding: .utf8)
        #expect(kept == OpenAPIDocument.json, "docs/openapi.json is stale: write OpenAPIDocument.json there (make openapi)")
        // Every documented GET route answers (not 404 for lack of a route) with an analyst token.
        for (method, path) in OpenAPIDocument.operations where method == "GET" {
            let concrete = path.replacingOccurrences(of: "{tracking_id}", with: fixture.trackingID)
            let answer = try await fixture.get(concrete, token: fixture.analyst)
            #expect(answer.status != 404, "\(path)")
        }
        try await fixture.harness.stop()
    }

    /// The dashboard's page, script, style and icon come from the binary, to anyone (they hold no data), with the
    /// headers a page holding a bearer token needs; the script carries the panels' questions.
    @Test func theDashboardIsServedWithAStrictPolicy() async throws {
        let fixture = try await Fixture(scans: 50)
        for (path, type) in [("/", "text/html"), ("/dashboard.js", "text/javascript"), ("/dashboard.css", "text/css"), ("/favicon.svg", "image/svg+xml")] {
            let answer = try await fixture.get(path, token: nil)
            #expect(answer.status == 200, "\(path)")
            #expect(answer.headers["content-type"]?.hasPrefix(type) == true, "\(path)")
            let policy = answer.headers["content-security-policy"] ?? ""
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("http"), "\(policy)")
            #expect(answer.headers["referrer-policy"] == "no-referrer")
            #expect(answer.headers["x-content-type-options"] == "nosniff")
            #expect(answer.headers["x-frame-options"] == "DENY")
        }
        let page = try await fixture.get("/", token: nil).body
        #expect(page.contains(#"<script src="/dashboard.js" defer></script>"#))
        #expect(!page.contains("<script>"), "the served page has no inline script")
        #expect(!page.contains("http://") && !page.contains("https://"), "the page loads nothing from elsewhere")
        let script = try await fixture.get("/dashboard.js", token: nil).body
        for question in DashboardQuestions.all {
            #expect(script.contains("\"name\": \"\(question.name)\", \"route\": \"\(question.route)\""), "\(question.name)")
        }
        #expect(!script.contains("__QUESTIONS__"))
        try await fixture.harness.stop()
    }

    /// `rastro report --html` embeds, for every panel, exactly the JSON the API answers for its question.
    @Test func aReportFileEmbedsTheAPIsAnswers() async throws {
        let fixture = try await Fixture()
        let center = "BOG-CEN"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rastro-report-\(UInt64.random(in: 0...UInt64.max)).html").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = try await fixture.cli(["report", "--html", file, "--from", "2026-09-02", "--to", "2026-09-05", "--center", center])
        let html = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!html.contains("src=\"") && !html.contains("href=\""), "the report loads nothing")
        #expect(html.contains(#"<script type="application/json" id="rastro-data">"#))
        for question in DashboardQuestions.all {
            var query = URLComponents()
            query.queryItems = question.parameters(from: "2026-09-02", to: "2026-09-05", center: center).sorted { $0.key < $1.key }
                .map { URLQueryItem(name: $0.key, value: $0.value) } + [URLQueryItem(name: "format", value: "json")]
            let answer = try await fixture.get("/v1/\(question.route)?\(query.percentEncodedQuery!)", token: fixture.analyst)
            #expect(answer.status == 200, "\(question.name): \(answer.body)")
            let embedded = answer.body.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "</", with: "<\\/")
            // Every panel but the overdue list has rows in this window (none is overdue at its end), so that the
            // comparison compares something.
            #expect(question.name == "overdue" || embedded.count > 2, "\(question.name) has rows")
            #expect(html.contains("\"\(question.name)\": \(embedded)"), "\(question.name)")
        }
        try await fixture.harness.stop()
    }

    /// A documented path asked with a method it does not answer: 405 naming the methods it does.
    @Test(arguments: [("DELETE", "/v1/productivity", "GET, HEAD"), ("PUT", "/v1/scans", "POST"), ("TRACE", "/healthz", "GET, HEAD"),
                      ("POST", "/", "GET, HEAD"), ("PATCH", "/v1/items/GU1", "GET, HEAD"), ("QUERY", "/v1/info", "GET, HEAD")])
    func anUnansweredMethodIs405(method: String, path: String, allow: String) async throws {
        let fixture = try await Fixture(scans: 10)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(fixture.harness.ports.http)\(path)")!)
        request.httpMethod = method
        let (_, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        #expect(http.statusCode == 405, "\(method) \(path)")
        #expect(http.value(forHTTPHeaderField: "Allow") == allow)
        try await fixture.harness.stop()
    }
}
