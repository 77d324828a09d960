#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore

extension Store {
    public static var eventCatalogFile: String { "event-aliases.csv" }
    public static var reasonCatalogFile: String { "reasons.csv" }

    /// The data directory's catalogs: its own files when present, the standard event aliases otherwise and no reason
    /// catalog (any well-formed reason code is accepted).
    public func catalogs() throws -> (events: EventCatalog, reasons: ReasonCatalog?) {
        var events = EventCatalog.standard
        var reasons: ReasonCatalog? = nil
        if let text = try Self.readFile(directory + "/" + Self.eventCatalogFile) {
            do { events = try EventCatalog(csv: text) } catch {
                throw StoreError("\(directory)/\(Self.eventCatalogFile): \(error)")
            }
        }
        if let text = try Self.readFile(directory + "/" + Self.reasonCatalogFile) {
            do { reasons = try ReasonCatalog(csv: text) } catch {
                throw StoreError("\(directory)/\(Self.reasonCatalogFile): \(error)")
            }
        }
        return (events, reasons)
    }

    /// The validator for scans bound for this store: its time zone, catalogs and limits.
    public func validator() throws -> ScanValidator {
        let (events, reasons) = try catalogs()
        var validator = ScanValidator(zone: zone, events: events, reasons: reasons, limits: limits)
        validator.hashesTrackingIDs = true
        return validator
    }

    /// The whole contents of a file, or `nil` when it does not exist.
    public static func readFile(_ path: String) throws -> String? {
        guard let file = fopen(path, "rb") else {
            if errno == ENOENT { return nil }
            throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            contents.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: contents, as: UTF8.self)
    }
}
