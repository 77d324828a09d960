import RastroCore
import RastroPrimitives

/// A deterministic, realistic scan stream: what handhelds across a courier network upload.
///
/// Simulated day by day: parcels are picked up, received at their origin centre, sent in transit to another
/// centre, taken out for delivery, delivered or not (failed attempts with standard reasons, returns after three
/// attempts or a refusal). Each handheld numbers its scans (`seq`) and uploads them in batches; some handhelds go
/// offline for hours and upload late; some batches are sent twice; a reset handheld now and then reuses seqs with
/// other content; a few rows are malformed. Rows appear in upload order, as a server would receive them.
///
/// The same configuration always yields the same bytes.
public final class ScanGenerator {
    public let configuration: GeneratorConfiguration
    public internal(set) var statistics = GeneratorStatistics()

    var random: SplitMix
    var zone: SiteTimeZone
    var network: Network
    let startDay: Int
    let itemsPerDay: Int
    var nextNumber: [UInt64] = [1_000_000, 3_000_000, 700_000, 1]
    static let prefixes: [(text: String, weight: Int)] = [("GU", 70), ("OS", 15), ("RM", 10), ("DOC/2026/", 5)]
    var pending: [Int: [SimulatedScan]] = [:]
    var outbox: [UploadBatch] = []

    struct SimulatedScan {
        var time: Int64
        var number: UInt64
        var prefix: UInt8
        var event: Event
        var reason: UInt8
        var person: Int32
        var center: Int16
        var hasLocation: Bool
        var latitude: Int32
        var longitude: Int32
    }

    struct UploadBatch {
        var uploadTime: Int64
        var kind: GeneratedRowKind
        var bytes: [UInt8] = []
        /// Line start offsets, and which lines are malformed extras.
        var lineStarts: [Int] = []
        var malformed: [Bool] = []
    }

    static let failureReasons: [(String, Int)] = [
        ("DESTINATARIO_AUSENTE", 40), ("DIRECCION_ERRADA", 15), ("CERRADO", 12), ("REPROGRAMADO", 10), ("NO_RESIDE", 6),
        ("REHUSADO", 6), ("DESCONOCIDO", 4), ("ZONA_DE_RIESGO", 3), ("PAGO_PENDIENTE", 3), ("DIRECCION_NO_EXISTE", 1),
    ]
    static let reasonCodes: [String] = [""] + failureReasons.map(\.0) + ["MAX_INTENTOS"]
    static let maximumAttemptsReason = UInt8(reasonCodes.count - 1)
    static let aliases: [Event: String] = [
        .pickedUp: "RECOGIDO", .received: "RECIBIDO", .inTransit: "EN_TRANSITO", .outForDelivery: "EN_REPARTO",
        .delivered: "ENTREGADO", .failedAttempt: "NOVEDAD", .returned: "DEVUELTO",
    ]
    static let header = Array("tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon\n".utf8)

    public init(_ configuration: GeneratorConfiguration) {
        self.configuration = configuration
        random = SplitMix(seed: configuration.seed ^ 0x5241_5354_524F)
        zone = SiteTimeZone(identifier: configuration.timeZone) ?? SiteTimeZone(identifier: "UTC")!
        startDay = configuration.start.daysSinceEpoch
        // About 180,000 scans a day (a mid-size national courier) once the stream is large enough to span weeks.
        let days = min(90, max(5, configuration.scans / 180_000))
        itemsPerDay = max(20, configuration.scans / (days * 6))
        let centers = min(Network.catalog.count, max(2, itemsPerDay / 2_400))
        let totalWeight = Network.catalog.prefix(centers).reduce(0) { $0 + $1.3 }
        let couriersPerWeight = max(1, itemsPerDay / (totalWeight * 45))
        network = Network(centerCount: centers, couriersPerWeight: couriersPerWeight, clerksPerCenter: 3, random: &random)
    }

    /// Calls `emit` for the header and then every row, in upload order, each with its line feed.
    public func generate(_ emit: (GeneratedRowKind?, ByteView) -> Void) {
        Self.header.withByteView { emit(nil, $0) }
        var day = 0
        while statistics.scans < configuration.scans {
            statistics.days = day + 1
            createItems(day: day)
            flushScans(day: day)
            if !emitUploads(before: zone.startOfDay(Int32(startDay + day + 1)), emit) { break }
            day += 1
        }
    }

    /// The whole stream as rows (for tests; large streams should use ``generate(_:)``).
    public func rows() -> [(kind: GeneratedRowKind, line: String)] {
        var result: [(GeneratedRowKind, String)] = []
        generate { kind, bytes in
            guard let kind else { return }
            result.append((kind, String(decoding: bytes.dropLast(), as: UTF8.self)))
        }
        return result
    }

    // MARK: Items and their lifecycles

    func createItems(day: Int) {
        let weekday = CivilDate(daysSinceEpoch: startDay + day).isoWeekday
        let factor = weekday == 7 ? 0.25 : weekday == 6 ? 0.6 : 1.0
        let count = Int(Double(itemsPerDay) * factor * (0.9 + 0.2 * Double(random.below(1000)) / 1000))
        let dayStart = zone.startOfDay(Int32(startDay + day))
        for _ in 0..<count { createItem(dayStart: dayStart) }
    }

    func createItem(dayStart: Int64) {
        statistics.items += 1
        var pick = random.below(100)
        var prefix = 0
        while pick >= Self.prefixes[prefix].weight {
            pick -= Self.prefixes[prefix].weight
            prefix += 1
        }
        let number = nextNumber[prefix]
        nextNumber[prefix] += 1
        let origin = network.randomCenter(&random)
        let destination = random.chance(0.6) ? network.randomCenter(&random) : origin
        let hour: Int64 = 3_600_000
        // The recipient's address: within about 8 km of the destination centre.
        let home = (
            network.centers[destination].latitude + Int32(random.within(-700_000...700_000)),
            network.centers[destination].longitude + Int32(random.within(-700_000...700_000))
        )
        var scan = SimulatedScan(
            time: dayStart + 8 * hour + random.within(0...(9 * hour)), number: number, prefix: UInt8(prefix), event: .pickedUp,
            reason: 0, person: Int32(courier(origin)), center: Int16(origin), hasLocation: true,
            latitude: network.centers[origin].latitude + Int32(random.within(-700_000...700_000)),
            longitude: network.centers[origin].longitude + Int32(random.within(-700_000...700_000)))
        add(scan)
        scan.time = max(scan.time + hour / 2, dayStart + 16 * hour) + random.within(0...(3 * hour))
        atCenter(&scan, .received, origin)
        if destination != origin {
            scan.time += random.within(hour...(4 * hour))
            atCenter(&scan, .inTransit, origin)
            scan.time += random.within((5 * hour)...(14 * hour))
            atCenter(&scan, .received, destination)
        }
        let courier = self.courier(destination)
        var attempts = 0
        while true {
            // The next delivery round: this morning's if the parcel arrived before 6:00, else the next day's; never
            // on a Sunday.
            let arrivalDay = zone.day(ofUTC: scan.time)
            var roundDay = scan.time - zone.startOfDay(arrivalDay) < 6 * hour ? arrivalDay : arrivalDay + 1
            if CivilDate(daysSinceEpoch: Int(roundDay)).isoWeekday == 7 { roundDay += 1 }
            let roundStart = zone.startOfDay(roundDay)
            scan.time = max(scan.time + hour / 4, roundStart + 7 * hour + random.within(0...(5 * hour / 2)))
            scan.event = .outForDelivery
            scan.reason = 0
            scan.person = Int32(courier)
            scan.center = Int16(destination)
            scan.hasLocation = true
            scan.latitude = network.centers[destination].latitude
            scan.longitude = network.centers[destination].longitude
            add(scan)
            scan.time += random.within((hour / 2)...(9 * hour))
            scan.latitude = home.0 + Int32(random.within(-300...300))
            scan.longitude = home.1 + Int32(random.within(-300...300))
            let deliveryChance = [0.88, 0.75, 0.6][min(attempts, 2)]
            if random.chance(deliveryChance) {
                scan.event = .delivered
                add(scan)
                return
            }
            scan.event = .failedAttempt
            scan.reason = failureReason()
            add(scan)
            attempts += 1
            let reason = Self.reasonCodes[Int(scan.reason)]
            let hopeless = reason == "REHUSADO" || reason == "DESCONOCIDO" || reason == "DIRECCION_NO_EXISTE"
            if attempts == 3 || (hopeless && random.chance(0.5)) {
                scan.time = zone.startOfDay(zone.day(ofUTC: scan.time) + 1) + 8 * hour + random.within(0...(4 * hour))
                if attempts == 3 { scan.reason = Self.maximumAttemptsReason }
                atCenter(&scan, .returned, destination)
                return
            }
        }
    }

    func courier(_ center: Int) -> Int {
        let couriers = network.centers[center].couriers
        return couriers[random.below(couriers.count)]
    }

    /// A scan by one of the centre's clerks; half of the clerks' handhelds report the centre's position.
    func atCenter(_ scan: inout SimulatedScan, _ event: Event, _ center: Int) {
        let clerks = network.centers[center].clerks
        scan.event = event
        if event != .returned { scan.reason = 0 }
        scan.person = Int32(clerks[random.below(clerks.count)])
        scan.center = Int16(center)
        scan.hasLocation = scan.person % 2 == 0
        scan.latitude = network.centers[center].latitude
        scan.longitude = network.centers[center].longitude
        add(scan)
    }

    func failureReason() -> UInt8 {
        var pick = random.below(100)
        for (index, entry) in Self.failureReasons.enumerated() {
            if pick < entry.1 { return UInt8(index + 1) }
            pick -= entry.1
        }
        return 1
    }

    func add(_ scan: SimulatedScan) {
        var stored = scan
        if network.people[Int(scan.person)].reportsMilliseconds {
            stored.time += random.within(0...999)
        } else {
            stored.time -= stored.time % 1000
        }
        let day = Int(zone.day(ofUTC: stored.time)) - startDay
        pending[day, default: []].append(stored)
    }
}
