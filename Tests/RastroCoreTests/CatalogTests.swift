import RastroCore
import RastroPrimitives

#if canImport(Glibc)
import Glibc
import Testing
#endif

@Suite("Catalogs")
struct CatalogTests {
    func event(_ code: String, _ catalog: EventCatalog = .standard) -> Event? {
        code.withByteView { catalog.event(for: $0) }
    }

    @Test func canonicalCodesAndAliasesMapCaseInsensitively() {
        #expect(event("delivered") == .delivered)
        #expect(event("ENTREGADO") == .delivered)
        #expect(event("entregado") == .delivered)
        #expect(event("DEVUELTO") == .returned)
        #expect(event("Out_For_Delivery") == .outForDelivery)
        #expect(event("LOST") == nil)
    }

    @Test func aDataDirectoryCatalogAddsItsOwnCodes() throws {
        let catalog = try EventCatalog(csv: "alias,event\nZ9,delivered\n")
        #expect(event("z9", catalog) == .delivered)
        #expect(event("delivered", catalog) == .delivered)
        #expect(event("ENTREGADO", catalog) == nil)
    }

    @Test func badCatalogLinesAreNamed() {
        #expect { try EventCatalog(csv: "alias,event\nX,teleported\n") } throws: { error in
            (error as? CatalogError)?.line == 2
        }
        #expect { try ReasonCatalog(csv: "code,applies_to,description\nX,nothing,d\n") } throws: { error in
            (error as? CatalogError)?.line == 2
        }
        #expect(throws: CatalogError.self) { try EventCatalog(csv: "ENTREGADO,delivered\n") }
    }

    @Test func reasonsKnowWhichEventsTheyApplyTo() throws {
        let code = "no_reclamado"
        let entry = try #require(code.withByteView { ReasonCatalog.standard.entry(for: $0) })
        #expect(entry.code.string == "NO_RECLAMADO")
        #expect(entry.applies(to: .returned))
        #expect(!entry.applies(to: .failedAttempt))
    }

    /// The catalogs in `data/` are the ones compiled in: one can be read, the other is what runs.
    @Test(arguments: [("data/event-aliases.csv", EventCatalog.standardText), ("data/reasons.csv", ReasonCatalog.standardText)])
    func shippedCatalogFilesMatchTheBuiltInOnes(path: String, text: String) throws {
        let root = String(#filePath).components(separatedBy: "/Tests/").first!
        let file = try #require(fopen(root + "/" + path, "r"), "missing \(path)")
        defer { fclose(file) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            contents.append(contentsOf: buffer[0..<count])
        }
        #expect(String(decoding: contents, as: UTF8.self) == text)
    }
}
