import RastroQueries
import ArgumentParser
@testable import RastroCLI
import RastroTestSupport
import Testing

/// `rastro export`: the stored scans back out in the import dialect, exactly, filtered by window and centre.
@Suite("rastro export")
struct ExportCommandTests {
    /// Rows without their last column (`received_at`, which a re-import renews).
    static func withoutReceivedAt(_ text: String) -> [Substring] {
        text.split(separator: "\n").map { line in line[..<line.lastIndex(of: ",")!] }
    }

    /// The `device,seq` key of each data row, the columns at 5 and 6 in both the generator's and the export's header.
    static func keys(_ text: String) -> Set<String> {
        var keys = Set<String>()
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            keys.insert("\(fields[5]),\(fields[6])")
        }
        return keys
    }

    @Test func anExportReimportsToTheSameScans() async throws {
        let directory = TemporaryDirectory()
        let stream = directory.path + "/stream.csv"
        // A stream with resends, conflicts and malformed rows; the export must hold exactly the clean scans.
        _ = try await rastro("generate", "--scans", "3000", "--seed", "21", "--out", stream)
        let clean = try await rastro("generate", "--scans", "3000", "--seed", "21", "--clean")
        _ = try await rastro("import", stream, "--data", directory.path + "/a", "--quiet")

        let first = try await rastro("export", "--data", directory.path + "/a", "--quiet")
        let lines = first.standardOutput.split(separator: "\n")
        #expect(lines.first == "tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon,received_at")
        #expect(lines.count == 3001)
        #expect(Self.keys(first.standardOutput) == Self.keys(clean.standardOutput))

        try write(first.standardOutput, to: directory.path + "/export.csv")
        let reimport = try await rastro("import", directory.path + "/export.csv", "--data", directory.path + "/b", "--quiet")
        #expect(reimport.standardOutput.hasPrefix("accepted 3000, duplicates 0, rejected 0, conflicts 0"))
        let second = try await rastro("export", "--data", directory.path + "/b", "--quiet")
        #expect(Self.withoutReceivedAt(second.standardOutput) == Self.withoutReceivedAt(first.standardOutput))
    }

    /// Identifiers starting with `-` are exported with the spreadsheet guard (`'-GU1`), and import removes it: the
    /// round trip is exact.
    @Test func guardedIdentifiersRoundTrip() async throws {
        let directory = TemporaryDirectory()
        try write(
            "tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon\n"
                + "-GU1,picked_up,2026-09-01T10:00:00Z,-M1,C1,-HH1,1,,-4.71,-74.07\n"
                + "GU2,picked_up,2026-09-01T10:05:00Z,M2,-C2,HH2,2,,,\n",
            to: directory.path + "/scans.csv")
        _ = try await rastro("import", directory.path + "/scans.csv", "--data", directory.path + "/a", "--quiet")
        let first = try await rastro("export", "--data", directory.path + "/a", "--quiet")
        let lines = first.standardOutput.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("'-GU1,picked_up,2026-09-01T05:00:00.000-05:00,'-M1,C1,'-HH1,1,,-4.71,-74.07,") })
        #expect(lines.contains { $0.hasPrefix("GU2,picked_up,2026-09-01T05:05:00.000-05:00,M2,'-C2,HH2,2,,,") })
        try write(first.standardOutput, to: directory.path + "/export.csv")
        let reimport = try await rastro("import", directory.path + "/export.csv", "--data", directory.path + "/b", "--quiet")
        #expect(reimport.standardOutput.hasPrefix("accepted 2, duplicates 0, rejected 0, conflicts 0"))
        let second = try await rastro("export", "--data", directory.path + "/b", "--quiet")
        #expect(Self.withoutReceivedAt(second.standardOutput) == Self.withoutReceivedAt(first.standardOutput))
    }

    @Test func theWindowAndTheCentreSelectScans() async throws {
        let (directory, data) = try await AnalyticsCommandTests.data()
        defer { withExtendedLifetime(directory) {} }
        // 2026-09-02 starts at local midnight (05:00 UTC); --to is exclusive.
        let output = try await rastro(
            "export", "--data", data, "--from", "2026-09-02", "--to", "2026-09-02T09:15:30.500-05:00", "--center", "C1",
            "--quiet")
        #expect(
            Self.withoutReceivedAt(output.standardOutput) == [
                "tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon",
                "T1,out_for_delivery,2026-09-02T07:00:00.000-05:00,M1,C1,D1,2,,,",
            ])
        let reasons = try await rastro("export", "--data", data, "--center", "C2", "--from", "2026-09-02", "--quiet")
        #expect(Self.withoutReceivedAt(reasons.standardOutput).last == "T2,failed_attempt,2026-09-02T11:00:00.000-05:00,M2,C2,D2,3,CERRADO,,")
    }

    @Test func anUnknownCentreExportsTheHeaderAlone() async throws {
        let (directory, data) = try await AnalyticsCommandTests.data()
        defer { withExtendedLifetime(directory) {} }
        let output = try await rastro("export", "--data", data, "--center", "NOWHERE")
        #expect(output.standardOutput == ExportQuery.columns.joined(separator: ",") + "\n")
        #expect(output.standardError.hasPrefix("exported 0 scans of 0 items"))
    }

    @Test func theSummaryCountsScansAndItems() async throws {
        let (directory, data) = try await AnalyticsCommandTests.data()
        defer { withExtendedLifetime(directory) {} }
        let output = try await rastro("export", "--data", data, "--out", directory.path + "/all.csv")
        #expect(output.standardOutput.isEmpty)
        #expect(output.standardError.hasPrefix("exported 8 scans of 2 items"))
        #expect(try read(directory.path + "/all.csv").split(separator: "\n").count == 9)
    }
}
