import RastroCore
import RastroQueries

/// The question behind each dashboard panel: a report route with fixed parameters, and which of the page's filters
/// (the `from`–`to` window, the work centre, and `to` as the instant of the state views) it takes. The page asks
/// them of the API; `rastro report --html` asks them of the store and embeds the answers.
public struct DashboardQuestion: Sendable {
    public var name: String
    public var route: String
    public var fixed: [String: String]
    public var window: Bool
    public var center: Bool
    public var at: Bool

    /// The query parameters under the filters given.
    public func parameters(from: String?, to: String?, center: String?) -> [String: String?] {
        var values: [String: String?] = fixed.mapValues { $0 }
        if window { values["from"] = from; values["to"] = to }
        if self.center { values["center"] = center }
        if at { values["at"] = to }
        return values.filter { $0.value != nil }
    }
}

public enum DashboardQuestions {
    public static let all = [
        DashboardQuestion(name: "productivity", route: ProductivityQuery.name, fixed: ["by": "messenger"], window: true, center: true, at: false),
        DashboardQuestion(
            name: "daily", route: ProductivityQuery.name, fixed: ["by": "work_center", "bucket": "day"], window: true, center: true, at: false),
        DashboardQuestion(name: "states", route: StatesQuery.name, fixed: [:], window: false, center: true, at: true),
        DashboardQuestion(
            name: "durations", route: DurationsQuery.name,
            fixed: ["from_event": "picked_up", "to_event": "delivered", "by": "work_center"], window: true, center: false, at: false),
        DashboardQuestion(name: "returns", route: ReturnsQuery.name, fixed: ["by": "reason"], window: true, center: false, at: false),
        DashboardQuestion(
            name: "overdue", route: OverdueQuery.name, fixed: ["event": "out_for_delivery", "older_than": "24h"], window: false, center: true,
            at: true),
    ]

    /// The questions as the script reads them.
    static var json: String {
        "[" + all.map { question in
            let fixed = question.fixed.keys.sorted().map { "\(JSONText.quoted($0)): \(JSONText.quoted(question.fixed[$0]!))" }.joined(separator: ", ")
            return "{\"name\": \(JSONText.quoted(question.name)), \"route\": \(JSONText.quoted(question.route)), \"fixed\": {\(fixed)}, "
                + "\"window\": \(question.window), \"center\": \(question.center), \"at\": \(question.at)}"
        }.joined(separator: ", ") + "]"
    }
}
