import RastroCore
import RastroQueries
import RastroStore

/// `rastro report --html`: the dashboard's panels as one self-contained file, their answers computed here by the same
/// queries the API runs, for mail or archive.
public enum StaticReport {
    public static func html(store: Store, from: String?, to: String?, center: String?, now: Int64) throws -> String {
        var answers: [String: String] = [:]
        for question in DashboardQuestions.all {
            guard let type = ReportQueries.all.first(where: { $0.name == question.route }) else { continue }
            let query = try type.init(QueryParameters(question.parameters(from: from, to: to, center: center)), zone: store.zone, now: now)
            answers[question.name] = try query.table(store).json()
        }
        var zone = store.zone
        var scope = "\(store.directory) · "
        scope += [from.map { "from \($0)" }, to.map { "to \($0)" }, center.map { "centre \($0)" }].compactMap { $0 }.joined(separator: " ")
        if from == nil && to == nil { scope += "everything stored" }
        scope += " · made \(Timestamp.format(now, zone: &zone))"
        return DashboardPage.report(scope: scope, answers: answers)
    }
}
