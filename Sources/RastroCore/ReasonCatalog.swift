import RastroPrimitives

/// The standard reason codes for failed attempts and returns.
///
/// A CSV file with the header `code,applies_to,description`; `applies_to` lists canonical events separated by `|`
/// (or `*` for any). When a data directory has a reason catalog, every reason must be one of its codes (matched
/// case-insensitively and stored in the catalog's spelling) and must apply to the scan's event. Without one, any
/// well-formed code is accepted. `data/reasons.csv` holds the standard catalog, the same text as ``standardText``.
public struct ReasonCatalog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var code: InlineBytes
        /// Bit `event.rawValue` is set when the code applies to that event.
        public var appliesTo: UInt8
        public var description: String

        public func applies(to event: Event) -> Bool { appliesTo & (1 << event.rawValue) != 0 }
    }

    @usableFromInline var table: [InlineBytes: Entry]

    public static let standard: ReasonCatalog = {
        do { return try ReasonCatalog(csv: standardText) } catch { fatalError("built-in reason catalog: \(error)") }
    }()

    public init(csv text: String) throws(CatalogError) {
        table = [:]
        for (lineNumber, columns) in try CatalogText.rows(text, header: ["code", "applies_to", "description"]) {
            let code = columns[0]
            if let problem = Identifier.problem(code, maximumBytes: 32) {
                throw CatalogError(line: lineNumber, message: "code '\(code)' \(problem)")
            }
            var mask: UInt8 = 0
            for name in columns[1].split(separator: "|").map({ String($0.trimmingSpaces) }) {
                if name == "*" {
                    mask = 0x7F
                } else if let event = Event(code: name) {
                    mask |= 1 << event.rawValue
                } else {
                    throw CatalogError(line: lineNumber, message: "'\(name)' in applies_to is not a canonical event")
                }
            }
            guard mask != 0 else { throw CatalogError(line: lineNumber, message: "applies_to is empty") }
            let key = InlineBytes(code)
            table[key.lowercased] = Entry(code: key, appliesTo: mask, description: columns[2])
        }
    }

    /// The catalog entry for a code, or `nil` when the catalog does not know it.
    @inlinable
    public func entry(for code: ByteView) -> Entry? {
        guard code.count <= InlineBytes.capacity else { return nil }
        return table[InlineBytes(code).lowercased]
    }

    /// Every entry, sorted by code.
    public var entries: [Entry] { table.values.sorted { $0.code < $1.code } }

    public static let standardText = """
        # Standard reasons for failed delivery attempts (novedades) and returns (devoluciones).
        # applies_to: canonical events separated by |, or * for any event.
        code,applies_to,description
        DESTINATARIO_AUSENTE,failed_attempt,Nadie recibe en la dirección
        DIRECCION_ERRADA,failed_attempt|returned,La dirección no existe o está incompleta
        DIRECCION_NO_EXISTE,failed_attempt|returned,La nomenclatura no existe
        REHUSADO,failed_attempt|returned,El destinatario rehúsa recibir
        NO_RESIDE,failed_attempt|returned,El destinatario no vive ni trabaja allí
        DESCONOCIDO,failed_attempt|returned,Nadie conoce al destinatario
        CERRADO,failed_attempt,Establecimiento cerrado
        ZONA_DE_RIESGO,failed_attempt|returned,Zona sin acceso seguro
        PAGO_PENDIENTE,failed_attempt|returned,Contra entrega sin pago
        REPROGRAMADO,failed_attempt,El destinatario pide otra fecha
        NO_RECLAMADO,returned,No reclamado en oficina dentro del plazo
        MAX_INTENTOS,returned,Se agotaron los intentos de entrega
        DANADO,failed_attempt|returned,Envío averiado
        FALLECIDO,returned,Destinatario fallecido
        SOLICITUD_REMITENTE,returned,El remitente pide la devolución

        """
}
