import ArgumentParser
import RastroCore
import RastroStore

/// `rastro init`: create a data directory with its time zone and catalogs.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory: its site time zone and, optionally, its own catalogs.",
        discussion: """
            The time zone is fixed for the life of the directory: every day key depends on it. Catalogs are copied into \
            the directory (event-aliases.csv, reasons.csv) where they can be edited; with a reasons catalog, every \
            reason must be one of its codes.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Option(name: .long, help: ArgumentHelp("Site time zone (IANA name).", valueName: "ZONE"))
    var timezone: String = SiteTimeZone.defaultIdentifier

    @Option(name: .long, help: ArgumentHelp("Event alias catalog to use (CSV alias,event).", valueName: "FILE"))
    var aliases: String?

    @Option(name: .long, help: ArgumentHelp("Reason catalog to enforce (CSV code,applies_to,description); 'standard' for the built-in one.", valueName: "FILE"))
    var reasons: String?

    func run() throws {
        let store = try Store(directory: dataOptions.directory, timeZone: timezone)
        if let aliases {
            guard let text = try readFileIfPresent(aliases) else { throw ValidationError("no such file: \(aliases)") }
            do { _ = try EventCatalog(csv: text) } catch { throw ValidationError("\(aliases): \(error)") }
            try writeFile(dataOptions.directory + "/" + Store.eventCatalogFile, Array(text.utf8))
        }
        if let reasons {
            let text: String
            if reasons == "standard" {
                text = ReasonCatalog.standardText
            } else {
                guard let contents = try readFileIfPresent(reasons) else { throw ValidationError("no such file: \(reasons)") }
                text = contents
            }
            do { _ = try ReasonCatalog(csv: text) } catch { throw ValidationError("\(reasons): \(error)") }
            try writeFile(dataOptions.directory + "/" + Store.reasonCatalogFile, Array(text.utf8))
        }
        Console.out("initialised \(dataOptions.directory) (time zone \(store.zone.identifier))\n")
    }
}
