import RastroCore
import RastroPrimitives
import Testing

@Suite("Recent event codes")
struct RecentEventCodesTests {
    /// Over a long random sequence of spellings (every alias in three cases, unknown codes, codes of 1, 8, 9, 16 and
    /// 17+ bytes, prefixes of known codes), the table answers exactly as the catalog does, hits and misses alike.
    @Test func answersAsTheCatalogDoes() {
        let catalog = EventCatalog.standard
        var spellings: [String] = []
        for (alias, _) in catalog.aliases {
            spellings += [alias, alias.uppercased(), alias.prefix(1).uppercased() + alias.dropFirst()]
        }
        spellings += ["", "X", "LOST", "entregad0", "DELIVERED!", "picked_u", "picked_upp", "out_for_deliverx",
            "out_for_delivery", "OUT_FOR_DELIVERY", "out_for_delivery_", "RECIBIDO_EN_CENTRO", "recibido_en_centr0"]
        var table = RecentEventCodes()
        var state: UInt64 = 42
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let code = spellings[Int(state >> 33) % spellings.count]
            let expected = code.withByteView { catalog.event(for: $0) }
            let answered = code.withByteView { table.event(for: $0, in: catalog) }
            #expect(answered == expected, "\(code)")
        }
    }

    /// A validator given another catalog forgets the spellings it met under the first.
    @Test func aValidatorForgetsSpellingsWhenItsCatalogChanges() throws {
        var validator = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)
        func accepts(_ code: String) -> Bool {
            var batch = ScanBatch()
            let fields = ["GU1", code, "2026-09-01T10:00:00-05:00", "M1", "C1", "D1", "1"].map { Array($0.utf8) }
            return fields[0].withByteView { tracking in
                fields[1].withByteView { event in
                    fields[2].withByteView { time in
                        fields[3].withByteView { messenger in
                            fields[4].withByteView { center in
                                fields[5].withByteView { device in
                                    fields[6].withByteView { seq in
                                        let raw = ScanValidator.RawFields(
                                            trackingID: tracking, event: event, scannedAt: time, messenger: messenger,
                                            workCenter: center, device: device, seq: seq,
                                            reason: ByteView(),
                                            latitude: ByteView(),
                                            longitude: ByteView())
                                        do {
                                            try validator.append(raw, receivedAt: 1_788_300_000_000, source: 1, to: &batch)
                                            return true
                                        } catch {
                                            return false
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(accepts("ENTREGADO"))
        validator.events = try EventCatalog(csv: "alias,event\nZ9,delivered\n")
        #expect(!accepts("ENTREGADO"))
        #expect(accepts("Z9"))
    }
}
