import RastroCore

/// The simulated courier network: work centres, and the people and handhelds at each.
struct Network {
    struct Center {
        var code: String
        var latitude: Int32
        var longitude: Int32
        var weight: Int
        var couriers: [Int] = []
        var clerks: [Int] = []
    }

    struct Person {
        var messenger: [UInt8]
        var device: [UInt8]
        var center: Int
        var isClerk: Bool
        /// Some handhelds report milliseconds; most report whole seconds.
        var reportsMilliseconds: Bool
        /// One handheld model in five sends the company's own event codes (ENTREGADO, NOVEDAD, …).
        var usesAliases: Bool
        var seq: UInt64
    }

    var centers: [Center] = []
    var people: [Person] = []
    var totalWeight = 0

    static let catalog: [(String, Double, Double, Int)] = [
        ("BOG-CEN", 4.6097, -74.0817, 3), ("BOG-NOR", 4.7110, -74.0721, 3), ("BOG-SUR", 4.5709, -74.1400, 2),
        ("MED-CEN", 6.2442, -75.5812, 2), ("CAL-CEN", 3.4516, -76.5320, 2), ("BAQ-CEN", 10.9685, -74.7813, 1),
        ("MED-ITA", 6.1719, -75.6114, 1), ("CTG-CEN", 10.3910, -75.4794, 1), ("BUC-CEN", 7.1193, -73.1227, 1),
        ("PEI-CEN", 4.8133, -75.6961, 1), ("MZL-CEN", 5.0703, -75.5138, 1), ("CUC-CEN", 7.8939, -72.5078, 1),
    ]

    init(centerCount: Int, couriersPerWeight: Int, clerksPerCenter: Int, random: inout SplitMix) {
        for (index, entry) in Self.catalog.prefix(centerCount).enumerated() {
            let (code, latitude, longitude, weight) = entry
            var center = Center(
                code: code, latitude: Int32(latitude * 10_000_000), longitude: Int32(longitude * 10_000_000), weight: weight,
)
            let compact = code.replacingOccurrences(of: "-", with: "")
            for number in 1...max(1, couriersPerWeight * weight) {
                center.couriers.append(people.count)
                people.append(
                    Person(
                        messenger: Array("MSG-\(compact)-\(Self.pad(number, 3))".utf8),
                        device: Array("HH-\(compact)-\(Self.pad(number, 3))".utf8), center: index, isClerk: false,
                        reportsMilliseconds: random.chance(0.1), usesAliases: people.count % 5 == 2,
                        seq: UInt64(random.within(1...90_000))))
            }
            for number in 1...clerksPerCenter {
                center.clerks.append(people.count)
                people.append(
                    Person(
                        messenger: Array("CLK-\(compact)-\(number)".utf8), device: Array("HH-\(compact)-K\(number)".utf8),
                        center: index, isClerk: true, reportsMilliseconds: random.chance(0.1),
                        usesAliases: people.count % 5 == 2, seq: UInt64(random.within(1...90_000))))
            }
            centers.append(center)
            totalWeight += weight
        }
    }

    /// A centre chosen in proportion to its weight (Bogotá handles the most parcels).
    func randomCenter(_ random: inout SplitMix) -> Int {
        var pick = random.below(totalWeight)
        for (index, center) in centers.enumerated() {
            if pick < center.weight { return index }
            pick -= center.weight
        }
        return centers.count - 1
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
