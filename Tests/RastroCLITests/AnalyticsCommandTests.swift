import RastroQueries
import ArgumentParser
@testable import RastroCLI
import RastroTestSupport
import Testing

/// The analytics commands' output: columns exactly as documented, numbers with their decimals, errors before work.
@Suite("rastro analytics commands")
struct AnalyticsCommandTests {
    static let rows = [
        "T1,picked_up,2026-09-01T08:00:00-05:00,M1,C1,D1,1,,,",
        "T1,received,2026-09-01T17:30:00-05:00,K1,C1,DK,1,,,",
        "T1,out_for_delivery,2026-09-02T07:00:00-05:00,M1,C1,D1,2,,,",
        "T1,delivered,2026-09-02T09:15:30.500-05:00,M1,C1,D1,3,,,",
        "T2,picked_up,2026-09-01T09:00:00-05:00,M2,C2,D2,1,,,",
        "T2,received,2026-09-01T18:00:00-05:00,K1,C2,DK,2,,,",
        "T2,out_for_delivery,2026-09-02T08:00:00-05:00,M2,C2,D2,2,,,",
        "T2,failed_attempt,2026-09-02T11:00:00-05:00,M2,C2,D2,3,CERRADO,,",
    ]

    static func data() async throws -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        try write(CommandTests.csv(rows), to: directory.path + "/scans.csv")
        _ = try await rastro("import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--quiet")
        return (directory, directory.path + "/data")
    }

    @Test func productivityPrintsTheDocumentedColumns() async throws {
        let (directory, data) = try await Self.data()
        defer { withExtendedLifetime(directory) {} }
        let total = try await rastro("productivity", "--by", "messenger", "--data", data, "--format", "csv")
        #expect(
            total.standardOutput == """
                messenger,scans,picked_up,delivered,failed_attempts,returned,active_hours,deliveries_per_active_hour
                K1,2,0,0,0,0,0.50,0.00
                M1,3,1,1,0,0,2.26,0.44
                M2,3,1,0,1,0,3.00,0.00

                """)
        let daily = try await rastro(
            "productivity", "--by", "work_center", "--bucket", "day", "--from", "2026-09-02", "--data", data, "--format", "csv")
        #expect(
            daily.standardOutput == """
                work_center,bucket,scans,picked_up,delivered,failed_attempts,returned,active_hours,deliveries_per_active_hour
                C1,2026-09-02,2,0,1,0,0,2.26,0.44
                C2,2026-09-02,2,0,0,1,0,3.00,0.00

                """)
    }

    @Test func durationsPrintSecondsWithThreeDecimals() async throws {
        let (directory, data) = try await Self.data()
        defer { withExtendedLifetime(directory) {} }
        let output = try await rastro(
            "durations", "--from-event", "out_for_delivery", "--to-event", "delivered", "--by", "messenger", "--data", data, "--format", "csv")
        let lines = output.standardOutput.split(separator: "\n")
        #expect(lines.first == "messenger,count,p50_s,p90_s,p99_s,max_s")
        let fields = lines[1].split(separator: ",")
        #expect(fields[0] == "M1" && fields[1] == "1")
        // 2 h 15 min 30.5 s = 8130.5 s, within 0.78 %, printed with 3 decimals.
        let seconds = try #require(Double(fields[2]))
        #expect(abs(seconds - 8130.5) <= 8130.5 / 128)
        #expect(fields[2].split(separator: ".").last?.count == 3)
        let all = try await rastro("durations", "--from-event", "picked_up", "--to-event", "received", "--data", data, "--format", "csv")
        #expect(all.standardOutput.hasPrefix("scope,count,p50_s,p90_s,p99_s,max_s\nall,2,"))
    }

    @Test func returnsStatesAndOverdue() async throws {
        let (directory, data) = try await Self.data()
        defer { withExtendedLifetime(directory) {} }
        let returns = try await rastro("returns", "--by", "reason", "--data", data, "--format", "csv")
        #expect(returns.standardOutput == "reason,failed_attempts,returned\nCERRADO,1,0\n")
        let states = try await rastro("states", "--at", "2026-09-02T10:00:00", "--data", data, "--format", "csv")
        #expect(states.standardOutput == "work_center,event,count\nC1,delivered,1\nC2,out_for_delivery,1\n")
        let overdue = try await rastro(
            "overdue", "--event", "out_for_delivery", "--older-than", "1h30m", "--at", "2026-09-02T10:00:00", "--data", data,
            "--format", "csv")
        #expect(
            overdue.standardOutput
                == "tracking_id,event,scanned_at,messenger,work_center,age_hours\nT2,out_for_delivery,2026-09-02T08:00:00.000-05:00,M2,C2,2.00\n")
        let json = try await rastro("states", "--data", data, "--format", "json", "--center", "C2")
        #expect(json.standardOutput.contains("\"event\": \"failed_attempt\"") && json.standardOutput.contains("\"count\": 1"))
    }

    @Test func compareShowsRankAndRatioColumns() async throws {
        let (directory, data) = try await Self.data()
        defer { withExtendedLifetime(directory) {} }
        let output = try await rastro("compare", "--by", "work_center", "--data", data, "--format", "csv")
        let lines = output.standardOutput.split(separator: "\n")
        #expect(lines[0].hasPrefix("work_center,scans,scans_rank,scans_vs_median,picked_up,picked_up_rank,picked_up_vs_median,delivered,"))
        #expect(lines[0].hasSuffix(",deliveries_per_active_hour,deliveries_per_active_hour_rank,deliveries_per_active_hour_vs_median"))
        // C1 and C2 have 4 scans each: both rank 1, ratio 1.00; C1 delivered 1 vs median 0.5 → 2.00.
        #expect(lines[1].hasPrefix("C1,4,1,1.00,1,1,1.00,1,1,2.00,"))
        #expect(lines[2].hasPrefix("C2,4,1,1.00,1,1,1.00,0,2,0.00,"))
    }

    @Test(arguments: [
        (["productivity", "--by", "reason"], "--by: 'reason' is not one of messenger, work_center"),
        (["productivity", "--by", "courier"], "courier"),
        (["productivity", "--by", "messenger", "--from", "2026-09-03", "--to", "2026-09-02"], "--to: must be after from"),
        (["productivity", "--by", "messenger", "--from", "yesterday"], "'yesterday' is neither a date"),
        (["durations", "--from-event", "delivered", "--to-event", "delivered"], "must differ"),
        (["durations", "--from-event", "teleported", "--to-event", "delivered"], "teleported"),
        (["overdue", "--event", "received", "--older-than", "36"], "give a unit"),
        (["overdue", "--event", "received", "--older-than", "3x"], "'3x' is not a duration"),
        (["compare", "--by", "messenger", "--keys", "M1,NOBODY"], "no messenger named 'NOBODY'"),
        (["states", "--center", "NOWHERE"], "no work_center named 'NOWHERE'"),
    ])
    func badArgumentsAreClearErrors(arguments: [String], message: String) async throws {
        let (directory, data) = try await Self.data()
        defer { withExtendedLifetime(directory) {} }
        do {
            _ = try await rastro(arguments + ["--data", data])
            Issue.record("\(arguments) ran")
        } catch {
            let text = Rastro.message(for: error)
            #expect(text.contains(message), "\(text)")
        }
    }

    @Test func durationsParse() throws {
        #expect(try parseDuration("36h") == 36 * 3_600_000)
        #expect(try parseDuration("1h30m") == 90 * 60_000)
        #expect(try parseDuration("2d") == 2 * 86_400_000)
        #expect(try parseDuration("45s") == 45_000)
        #expect(throws: (any Error).self) { try parseDuration("") }
        #expect(throws: (any Error).self) { try parseDuration("h") }
    }
}
