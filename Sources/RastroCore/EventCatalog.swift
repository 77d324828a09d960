import RastroPrimitives

/// Maps the event codes companies use (`ENTREGADO`, `DEVUELTO`, …) onto the canonical ``Event``s.
///
/// The catalog is a CSV file with the header `alias,event`; `#` starts a comment line. Matching is
/// case-insensitive. Canonical codes are always accepted. The standard catalog ships as `data/event-aliases.csv`
/// (its text is compiled in below, and a test keeps the two identical); a data directory may hold its own.
public struct EventCatalog: Sendable {
    @usableFromInline var table: [InlineBytes: Event]

    /// The catalog compiled from ``standardText``.
    public static let standard: EventCatalog = {
        do { return try EventCatalog(csv: standardText) } catch { fatalError("built-in event catalog: \(error)") }
    }()

    /// Parses a catalog file's text.
    public init(csv text: String) throws(CatalogError) {
        table = [:]
        for event in Event.allCases { table[InlineBytes(event.code).lowercased] = event }
        for (lineNumber, columns) in try CatalogText.rows(text, header: ["alias", "event"]) {
            let alias = columns[0]
            if let problem = Identifier.problem(alias, maximumBytes: 32) {
                throw CatalogError(line: lineNumber, message: "alias '\(alias)' \(problem)")
            }
            guard let event = Event(code: columns[1]) else {
                throw CatalogError(
                    line: lineNumber,
                    message: "'\(columns[1])' is not a canonical event (\(Event.allCases.map(\.code).joined(separator: ", ")))")
            }
            table[InlineBytes(alias).lowercased] = event
        }
    }

    /// The canonical event for a code, or `nil` when the catalog does not know it.
    @inlinable
    public func event(for code: ByteView) -> Event? {
        guard code.count <= InlineBytes.capacity else { return nil }
        return table[InlineBytes(code).lowercased]
    }

    /// Every alias and the event it maps to, sorted by alias.
    public var aliases: [(alias: String, event: Event)] {
        table.map { ($0.key.string, $0.value) }.sorted { $0.alias < $1.alias }
    }

    /// The standard catalog; `data/event-aliases.csv` holds the same text.
    public static let standardText = """
        # Company event codes and the canonical event each one means.
        # Matching is case-insensitive; canonical codes (picked_up, received, in_transit, out_for_delivery,
        # delivered, failed_attempt, returned) are always accepted.
        alias,event
        RECOGIDO,picked_up
        RECOLECTADO,picked_up
        ADMITIDO,picked_up
        PICKUP,picked_up
        RECIBIDO,received
        RECIBIDO_EN_CENTRO,received
        INGRESO_BODEGA,received
        ARRIVED,received
        EN_TRANSITO,in_transit
        DESPACHADO,in_transit
        TRANSITO,in_transit
        DEPARTED,in_transit
        EN_REPARTO,out_for_delivery
        EN_DISTRIBUCION,out_for_delivery
        SALIO_A_REPARTO,out_for_delivery
        OUT_FOR_DELIVERY,out_for_delivery
        ENTREGADO,delivered
        ENTREGA_EFECTIVA,delivered
        POD,delivered
        DELIVERED,delivered
        NOVEDAD,failed_attempt
        INTENTO_FALLIDO,failed_attempt
        NO_ENTREGADO,failed_attempt
        ATTEMPT_FAILED,failed_attempt
        DEVUELTO,returned
        DEVOLUCION,returned
        DEVUELTO_REMITENTE,returned
        RTS,returned

        """
}

/// A problem in a catalog file, with its line.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// The tiny CSV dialect of catalog files: a header, comma-separated values without quotes, `#` comments.
enum CatalogText {
    static func rows(_ text: String, header: [String]) throws(CatalogError) -> [(Int, [String])] {
        var rows: [(Int, [String])] = []
        var sawHeader = false
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let columns = trimmed.split(separator: ",", omittingEmptySubsequences: false).map {
                String($0.trimmingSpaces)
            }
            if !sawHeader {
                guard columns.count >= header.count, Array(columns.prefix(header.count)).map({ $0.lowercased() }) == header
                else {
                    throw CatalogError(line: lineNumber, message: "expected the header '\(header.joined(separator: ","))'")
                }
                sawHeader = true
                continue
            }
            guard columns.count >= header.count - 1 else {
                throw CatalogError(line: lineNumber, message: "expected \(header.count) columns, found \(columns.count)")
            }
            rows.append((lineNumber, columns + Array(repeating: "", count: max(0, header.count - columns.count))))
        }
        guard sawHeader else { throw CatalogError(line: 1, message: "the header '\(header.joined(separator: ","))' is missing") }
        return rows
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
