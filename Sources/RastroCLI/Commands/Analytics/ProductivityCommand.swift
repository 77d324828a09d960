import ArgumentParser
import RastroAnalytics
import RastroCore
import RastroQueries

/// `rastro productivity`: scans, deliveries and active time per messenger or work centre (``ProductivityQuery``).
struct ProductivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ProductivityQuery.name, abstract: ProductivityQuery.summary,
        discussion: """
            active_hours is the sum over local days of (last − first scanned_at of the key's scans that day); \
            deliveries_per_active_hour is delivered / active_hours (0 when active_hours is 0).
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "messenger or work_center.") var by: GroupBy
    @Option(name: .long, help: "Only scans at this work centre.") var center: String?
    @Option(name: .long, help: "total, day, week (ISO 8601) or month.") var bucket: Bucket = .total

    func run() throws {
        try runQuery(
            ProductivityQuery.self, ["by": by.rawValue, "center": center, "bucket": bucket.rawValue] + windowOptions.values,
            dataOptions, formatOption)
    }
}

/// `rastro compare`: the productivity metrics side by side with rank and ratio to the median (``CompareQuery``).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CompareQuery.name, abstract: CompareQuery.summary,
        discussion: """
            Rank 1 is the largest value of the group (equal values share a rank); <metric>_vs_median is the value \
            divided by the group's median (empty when the median is 0). Without --keys the group is every key with a \
            scan in the window.
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "work_center or messenger.") var by: GroupBy
    @Option(name: .long, help: ArgumentHelp("Only these keys, comma-separated.", valueName: "A,B,…")) var keys: String?

    func run() throws {
        try runQuery(CompareQuery.self, ["by": by.rawValue, "keys": keys] + windowOptions.values, dataOptions, formatOption)
    }
}
