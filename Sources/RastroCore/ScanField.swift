/// The fields of a scan, in the canonical column order.
public enum ScanField: Int, CaseIterable, Sendable, Hashable {
    case trackingID, event, scannedAt, messenger, workCenter, device, seq, reason, latitude, longitude

    /// The column name in CSV headers, error reports and JSON.
    public var name: String {
        switch self {
        case .trackingID: "tracking_id"
        case .event: "event"
        case .scannedAt: "scanned_at"
        case .messenger: "messenger"
        case .workCenter: "work_center"
        case .device: "device"
        case .seq: "seq"
        case .reason: "reason"
        case .latitude: "lat"
        case .longitude: "lon"
        }
    }

    /// Whether a CSV file must have this column.
    public var isRequiredColumn: Bool {
        switch self {
        case .reason, .latitude, .longitude: false
        default: true
        }
    }

    public init?(name: String) {
        guard let field = ScanField.allCases.first(where: { $0.name == name }) else { return nil }
        self = field
    }
}
