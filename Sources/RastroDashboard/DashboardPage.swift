import RastroCore

/// The dashboard's page and style sheet. The page loads `/dashboard.css` and `/dashboard.js` from the server (a strict
/// Content-Security-Policy forbids inline code and every other origin); ``report(scope:answers:)`` inlines both, with
/// the answers, into one file that needs nothing else.
public enum DashboardPage {
    /// The headers every dashboard response carries: it holds a bearer token, so no other origin, no framing, no
    /// referrer, no sniffing.
    public static let securityHeaders: [(name: String, value: String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
                + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
    ]

    /// What the server answers the page and its assets with: path, media type, body.
    public static var assets: [(path: String, type: String, body: String)] {
        [
            ("/", "text/html; charset=utf-8", html), ("/dashboard.js", "text/javascript; charset=utf-8", script),
            ("/dashboard.css", "text/css; charset=utf-8", styleSheet), ("/favicon.svg", "image/svg+xml", icon),
        ]
    }

    /// The paths of ``assets``.
    public static var assetPaths: [String] { assets.map(\.path) }

    public static var script: String { DashboardScript.source }
    /// The tab's icon: a pin on a route, in the page's accent colour (a page without one makes the browser ask for
    /// `/favicon.ico` and log the 404 as an error).
    public static let icon = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M2 13h12" stroke="#1f6feb" stroke-width="2"/><circle cx="8" cy="6" r="4" fill="#1f6feb"/></svg>"##
    public static var styleSheet: String { DashboardStyle.source }

    /// The page the server serves at `/`.
    public static var html: String {
        page(
            head: #"<link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/dashboard.css">"#
                + #"<script src="/dashboard.js" defer></script>"#,
            data: nil)
    }

    /// A self-contained report: the page with its style, script and the answers inlined (`rastro report --html`).
    public static func report(scope: String, answers: [String: String]) -> String {
        let body = answers.keys.sorted().map { "\(JSONText.quoted($0)): \(answers[$0]!)" }.joined(separator: ", ")
        let data = "{\"scope\": \(JSONText.quoted(scope)), \"answers\": {\(body)}}"
        // `</` may not appear inside a script element: JSON allows `<\/`.
        let safe = data.replacing("</", with: "<\\/")
        let script = DashboardScript.source.replacing("</", with: "<\\/")
        return page(
            head: "<style>\n\(DashboardStyle.source)</style>\n<script>\n\(script)</script>",
            data: "<script type=\"application/json\" id=\"rastro-data\">\(safe)</script>")
    }

    static func page(head: String, data: String?) -> String {
        #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>Rastro</title>
        \#(head)
        </head>
        <body>
        <header><h1>Rastro</h1><span id="scope"></span><button id="sign-out" type="button">Sign out</button></header>
        <p id="error" role="alert" hidden></p>
        <section id="login" hidden>
          <form id="login-form">
            <label for="token">Analyst token</label>
            <input id="token" type="password" autocomplete="off" spellcheck="false" placeholder="rst_…">
            <button type="submit">Open</button>
          </form>
          <p class="note">The token stays in this tab's session storage; it is never put in a link.</p>
        </section>
        <main id="dashboard" hidden>
          <form id="filters">
            <label>From <input id="filter-from" name="from" placeholder="2026-09-01"></label>
            <label>To <input id="filter-to" name="to" placeholder="2026-09-08"></label>
            <label>Work centre <input id="filter-center" name="center" placeholder="all"></label>
            <button type="submit">Apply</button>
          </form>
          <div class="grid">
            <section id="productivity" class="panel"></section>
            <section id="daily" class="panel"></section>
            <section id="states" class="panel"></section>
            <section id="durations" class="panel"></section>
            <section id="returns" class="panel"></section>
            <section id="overdue" class="panel"></section>
            <section id="trace" class="panel">
              <h2>Trace an item</h2>
              <form id="trace-form"><input id="trace-id" placeholder="tracking id" spellcheck="false"><button type="submit">Trace</button></form>
              <ol id="trace-result"></ol>
            </section>
          </div>
        </main>
        \#(data ?? "")
        </body>
        </html>

        """#
    }
}
