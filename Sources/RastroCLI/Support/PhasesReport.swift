import RastroStore

/// Where the store's writer spent its time, per step and per row, for `rastro import --phases` and
/// `rastrod --phases` (docs/performance.md §0 reads it).
func phasesReport(_ store: Store, rows: Int) -> String {
    let measured = store.phases
    func perRow(_ seconds: Double) -> String { formatFixed(seconds * 1e9 / Double(max(rows, 1)), 0) }
    let parts = measured.timelineParts.map(perRow)
    let indexParts = measured.indexParts.map(perRow)
    let itemParts = measured.itemParts.map(perRow)
    var lines = [
        "writer time by step over \(measured.commits) commits (\(measured.blocksRewritten) trace blocks holding "
            + "\(measured.scansRewritten) scans rewritten, of which \(measured.coldBlocksRewritten) sealed blocks holding "
            + "\(measured.coldScansRewritten) scans; \(measured.tailsAppended) tails holding \(measured.scansInTails) scans "
            + "appended):",
        "  (index deltas: merged on two threads cells \(indexParts[0]), durations \(indexParts[2]), current "
            + "\(indexParts[3]); on the writer day states \(indexParts[1]), touched \(indexParts[4]) ns/row)",
        "  (items: hashes \(itemParts[0]), cache \(itemParts[1]), unknown names \(itemParts[2]), names lookups "
            + "\(itemParts[3]), new ids \(itemParts[4]) ns/row)",
        "  (block workers busy: \(store.blockWorkerSeconds.map { formatFixed($0, 2) }) s)",
        "  (timelines: gather \(parts[0]), fetch \(parts[1]), workers \(parts[2]), puts and merge \(parts[3]) ns/row)",
    ]
    for (name, spent) in zip(IngestPhases.names, measured.seconds) {
        lines.append("  \(name): \(formatFixed(spent, 3)) s (\(perRow(spent)) ns/row)")
    }
    return lines.joined(separator: "\n") + "\n"
}
