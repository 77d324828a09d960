/// What happened to an item when it was scanned: the canonical event codes.
///
/// The raw values are part of the storage format (3 bits in every stored scan), so they never change.
public enum Event: UInt8, CaseIterable, Sendable, Hashable, Comparable {
    case pickedUp = 0
    case received = 1
    case inTransit = 2
    case outForDelivery = 3
    case delivered = 4
    case failedAttempt = 5
    case returned = 6

    /// The number of canonical events; the storage formats reserve 3 bits for an event.
    @inlinable public static var count: Int { 7 }

    /// The canonical code as it appears in CSV, in the CLI and in every report.
    public var code: String {
        switch self {
        case .pickedUp: "picked_up"
        case .received: "received"
        case .inTransit: "in_transit"
        case .outForDelivery: "out_for_delivery"
        case .delivered: "delivered"
        case .failedAttempt: "failed_attempt"
        case .returned: "returned"
        }
    }

    /// Failed attempts and returns must say why; other events may.
    @inlinable public var requiresReason: Bool { self == .failedAttempt || self == .returned }

    /// Parses a canonical code exactly (use ``EventCatalog`` for company aliases).
    public init?(code: String) {
        guard let event = Event.allCases.first(where: { $0.code == code }) else { return nil }
        self = event
    }

    @inlinable public static func < (lhs: Event, rhs: Event) -> Bool { lhs.rawValue < rhs.rawValue }
}
