import ArgumentParser
import RastroQueries
#if canImport(Glibc)
import Glibc
#endif

extension OutputFormat: ExpressibleByArgument {
    /// Table on a terminal, CSV when piped.
    static var automatic: OutputFormat { isatty(1) != 0 ? .table : .csv }
}

struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "table, csv or json (default: table on a terminal, csv otherwise).")
    var format: OutputFormat?

    var resolved: OutputFormat { format ?? .automatic }
}
