import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// How a command prints its answer: an aligned table (the default on a terminal), CSV (the default otherwise) or
/// JSON.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, csv, json

    /// Table on a terminal, CSV when piped.
    public static var automatic: OutputFormat { isatty(1) != 0 ? .table : .csv }
}

struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "table, csv or json (default: table on a terminal, csv otherwise).")
    var format: OutputFormat?

    var resolved: OutputFormat { format ?? .automatic }
}
