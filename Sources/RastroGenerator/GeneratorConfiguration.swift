import RastroCore

/// What `rastro generate` produces.
public struct GeneratorConfiguration: Sendable {
    /// Distinct valid scans in the stream; resends, conflicts and malformed rows come on top.
    public var scans: Int
    public var seed: UInt64
    /// The first simulated day, in the site time zone.
    public var start = CivilDate(year: 2026, month: 9, day: 1)
    public var timeZone = SiteTimeZone.defaultIdentifier
    /// Share of upload batches a handheld sends twice.
    public var resendRate = 0.02
    /// Share of extra rows that are malformed (typing errors, broken exports).
    public var malformedRate = 0.003
    /// Conflicting rows (a reset handheld reusing seqs) per scan.
    public var conflictRate = 0.000_05
    /// Share of handhelds that go offline for hours on a given day.
    public var offlineRate = 0.05
    /// Only the distinct valid scans: no resends, conflicts or malformed rows.
    public var clean = false

    public init(scans: Int, seed: UInt64) {
        self.scans = scans
        self.seed = seed
    }
}

/// What a generated row is, for tests that need to know the truth.
public enum GeneratedRowKind: Sendable, Equatable {
    case scan
    case resend
    case conflict
    case malformed
}

/// Counts of what a generator wrote.
public struct GeneratorStatistics: Sendable, Equatable {
    public var scans = 0
    public var resends = 0
    public var conflicts = 0
    public var malformed = 0
    public var items = 0
    public var days = 0
    public var rows: Int { scans + resends + conflicts + malformed }
}
