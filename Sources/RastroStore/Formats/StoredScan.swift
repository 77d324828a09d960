import RastroCore

/// A scan as the store keeps it: identifiers replaced by dictionary ids, times in UTC milliseconds.
public struct StoredScan: Sendable, Equatable {
    public var scannedAt: Int64
    public var receivedAt: Int64
    public var seq: UInt64
    public var messenger: UInt32
    public var workCenter: UInt32
    public var device: UInt32
    /// 0 when the scan has no reason.
    public var reason: UInt32
    public var latitude: Int32
    public var longitude: Int32
    public var event: Event
    public var hasLocation: Bool

    @inlinable
    public init(
        scannedAt: Int64, receivedAt: Int64, seq: UInt64, messenger: UInt32, workCenter: UInt32, device: UInt32,
        reason: UInt32, latitude: Int32, longitude: Int32, event: Event, hasLocation: Bool
    ) {
        self.scannedAt = scannedAt
        self.receivedAt = receivedAt
        self.seq = seq
        self.messenger = messenger
        self.workCenter = workCenter
        self.device = device
        self.reason = reason
        self.latitude = latitude
        self.longitude = longitude
        self.event = event
        self.hasLocation = hasLocation
    }

    /// The first field in which two scans with the same `(device, seq)` differ, ignoring when they were received;
    /// `nil` when one is a resend of the other.
    public func firstDifference(from other: StoredScan) -> ScanField? {
        if event != other.event { return .event }
        if scannedAt != other.scannedAt { return .scannedAt }
        if messenger != other.messenger { return .messenger }
        if workCenter != other.workCenter { return .workCenter }
        if device != other.device { return .device }
        if seq != other.seq { return .seq }
        if reason != other.reason { return .reason }
        if hasLocation != other.hasLocation || (hasLocation && latitude != other.latitude) { return .latitude }
        if hasLocation && longitude != other.longitude { return .longitude }
        return nil
    }
}

/// The kinds of identifiers the store keeps in dictionaries. Raw values are part of the `entities` key format.
public enum EntityKind: UInt8, CaseIterable, Sendable {
    case messenger = 1
    case workCenter = 2
    case device = 3
    case reason = 4

    public var name: String {
        switch self {
        case .messenger: "messenger"
        case .workCenter: "work_center"
        case .device: "device"
        case .reason: "reason"
        }
    }
}
