import RastroQueries
import ArgumentParser
import RastroAnalytics
import RastroCore
import RastroStore

/// `rastro bench-questions`: the side-by-side benchmark's questions (Benchmarks/peers), answered and timed in this
/// process — as the peers' are in theirs — so that process start-up is not counted against either.
///
/// Prints one JSON object per line: `{"question": …, "median_ms": …, "p99_ms": …, "runs": …, "rows": [[…], …]}`.
struct BenchQuestionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-questions", abstract: "Answer and time the peer benchmark's questions (used by make bench).",
        shouldDisplay: false)

    @OptionGroup var dataOptions: DataOptions
    @Option(name: .long, help: "Start of the productivity week.") var weekFrom: String
    @Option(name: .long, help: "End of the productivity week (exclusive).") var weekTo: String
    @Option(name: .long, help: "Now: the instant of the current-state and overdue questions.") var now: String
    @Option(name: .long, help: "A past instant for the same questions.") var past: String
    @Option(name: .long, help: "A file of tracking ids to trace, one per line.") var items: String
    @Option(name: .long, help: "Timed runs per question.") var runs = 20

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let week = TimeWindow(from: try parseInstant(weekFrom, zone: &zone), to: try parseInstant(weekTo, zone: &zone))
        let instant = try parseInstant(now, zone: &zone)
        let pastInstant = try parseInstant(past, zone: &zone)
        let trackingIDs = (try readFileIfPresent(items) ?? "").split(separator: "\n").map(String.init).filter { !$0.isEmpty }

        time("productivity_week") {
            try store.read { try ProductivityReport(by: .messenger, window: week).run($0) }.map { row in
                let p = row.productivity
                return [text(row.key), "\(p.scans)", "\(p.pickedUp)", "\(p.delivered)", "\(p.failedAttempts)", "\(p.returned)", "\(p.activeMilliseconds)"]
            }
        }
        time("productivity_all") {
            try store.read { try ProductivityReport(by: .messenger).run($0) }.map { row in
                let p = row.productivity
                return [text(row.key), "\(p.scans)", "\(p.pickedUp)", "\(p.delivered)", "\(p.failedAttempts)", "\(p.returned)", "\(p.activeMilliseconds)"]
            }
        }
        time("compare_work_centers") {
            try store.read { try ComparisonReport(by: .workCenter).run($0) }.map { row in
                [text(row.key), "\(Int(row.values[2]))", "\(row.ranks[2])", "\(row.ratios[2] ?? 0)"]
            }
        }
        time("returns_by_reason") {
            try store.read { try ReturnsReport(by: .reason).run($0) }.map { [text($0.key ?? ""), "\($0.failedAttempts)", "\($0.returned)"] }
        }
        for (question, at) in [("states", instant), ("states_past", pastInstant)] {
            time(question) {
                try store.read { try StateReport(at: at).run($0) }.map { [text($0.workCenter), text($0.event.code), "\($0.count)"] }
            }
        }
        time("out_for_delivery_to_delivered_p90") {
            try store.read { try DurationReport(from: .outForDelivery, to: .delivered, by: .workCenter).run($0) }
                .map { [text($0.key ?? ""), "\($0.count)", "\($0.p90)"] }
        }
        time("picked_up_to_delivered_by_work_center") {
            try store.read { try DurationReport(from: .pickedUp, to: .delivered, by: .workCenter).run($0) }
                .map { [text($0.key ?? ""), "\($0.count)", "\($0.p50)", "\($0.p90)", "\($0.p99)", "\($0.max)"] }
        }
        for (question, at) in [("overdue_out_for_delivery_24h", instant), ("overdue_past", pastInstant)] {
            time(question) {
                try store.read { try OverdueReport(event: .outForDelivery, olderThanMilliseconds: 24 * 3_600_000, at: at).run($0) }
                    .map { [text($0.trackingID), "\($0.scannedAt)"] }
            }
        }
        traceItems(store, trackingIDs)
    }

    /// Runs `body` `runs` times and prints its timing and its (last) answer.
    func time(_ question: String, _ body: () throws -> [[String]]) {
        var samples: [Double] = []
        var rows: [[String]] = []
        for _ in 0..<max(runs, 1) {
            let start = monotonicSeconds()
            rows = (try? body()) ?? [["error"]]
            samples.append((monotonicSeconds() - start) * 1000)
        }
        emit(question, samples, rows)
    }

    /// One trace per item, each timed: the answer is each item's (scanned_at, event) list.
    func traceItems(_ store: Store, _ trackingIDs: [String]) {
        var samples: [Double] = []
        var rows: [[String]] = []
        for trackingID in trackingIDs {
            let start = monotonicSeconds()
            let trace = try? store.read { try $0.trace(trackingID) }
            samples.append((monotonicSeconds() - start) * 1000)
            for entry in trace ?? [] { rows.append([text(trackingID), "\(entry.scannedAt)", text(entry.event.code)]) }
        }
        emit("trace_items", samples, rows)
    }

    func emit(_ question: String, _ samples: [Double], _ rows: [[String]]) {
        let sorted = samples.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        let body = rows.map { "[" + $0.joined(separator: ",") + "]" }.joined(separator: ",")
        Console.out(
            "{\"question\":\"\(question)\",\"median_ms\":\(formatFixed(median, 3)),\"p99_ms\":\(formatFixed(p99, 3)),"
                + "\"runs\":\(samples.count),\"rows\":[\(body)]}\n")
    }

    func text(_ value: String) -> String { JSONText.quoted(value) }
}
