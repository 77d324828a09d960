import RastroQueries
import RastroStore

/// Where the store's writer spent its time, per step and per row, for `rastro import --phases` and
/// `rastrod --phases`.
func phasesReport(_ store: Store, rows: Int) -> String {
    let measured = store.phases
    func perRow(_ seconds: Double) -> String { formatFixed(seconds * 1e9 / Double(max(rows, 1)), 0) }
    let timelines = measured.timelines
    let indexes = measured.indexes
    let items = measured.items
    var lines = [
        "writer time by step over \(measured.commits) commits (\(measured.blocksRewritten) trace blocks holding "
            + "\(measured.scansRewritten) scans rewritten, of which \(measured.coldBlocksRewritten) sealed blocks holding "
            + "\(measured.coldScansRewritten) scans; \(measured.tailsAppended) tails holding \(measured.scansInTails) scans "
            + "appended):",
        "  (index deltas: merged on two threads cells \(perRow(indexes[.cells])), durations "
            + "\(perRow(indexes[.durations])), current \(perRow(indexes[.currentStates])); on the writer day states "
            + "\(perRow(indexes[.dayStates])), touched \(perRow(indexes[.touched])) ns/row)",
        "  (items: hashes \(perRow(items[.hashes])), cache \(perRow(items[.cacheProbes])), unknown names "
            + "\(perRow(items[.unknownNames])), names lookups \(perRow(items[.nameLookups])), new ids "
            + "\(perRow(items[.newIDs])) ns/row)",
        "  (block workers busy: \(store.blockWorkerSeconds.map { formatFixed($0, 2) }) s)",
        "  (timelines: gather \(perRow(timelines[.gather])), fetch \(perRow(timelines[.fetchBlocks])), workers "
            + "\(perRow(timelines[.blockWorkers])), puts and merge \(perRow(timelines[.putsAndMerge])) ns/row)",
    ]
    for phase in Phase.allCases {
        let spent = measured.stages[phase]
        lines.append("  \(phase.label): \(formatFixed(spent, 3)) s (\(perRow(spent)) ns/row)")
    }
    return lines.joined(separator: "\n") + "\n"
}
