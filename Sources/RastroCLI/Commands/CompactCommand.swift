import ArgumentParser
import RastroQueries
import RastroStore

/// `rastro compact`: the data file without its free pages.
struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite the data file without its free pages (refused while anything else has the store open).",
        discussion: """
            LMDB reuses the pages a commit frees, but never gives them back to the file system; a young store, \
            rewritten by its first commits, can carry half its file as free pages. This writes a compacted copy \
            beside the file and renames it over it. Stop rastrod first.
            """)

    @OptionGroup var dataOptions: DataOptions

    func run() throws {
        let free = try dataOptions.openForReading().freePageShare()
        let result = try Store.compact(directory: dataOptions.directory)
        Console.out(
            "compacted \(dataOptions.directory): \(result.bytesBefore) → \(result.bytesAfter) bytes "
                + "(\(formatFixed(100 * free, 1)) % of its pages were free)\n")
    }
}
