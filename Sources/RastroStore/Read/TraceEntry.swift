import RastroCore

/// One scan of an item's trace, with identifiers spelled out.
public struct TraceEntry: Sendable, Equatable {
    public var scannedAt: Int64
    public var event: Event
    public var messenger: String
    public var workCenter: String
    public var device: String
    public var seq: UInt64
    public var reason: String?
    public var latitude: Int32?
    public var longitude: Int32?
    public var receivedAt: Int64

    public init(
        scannedAt: Int64, event: Event, messenger: String, workCenter: String, device: String, seq: UInt64,
        reason: String?, latitude: Int32?, longitude: Int32?, receivedAt: Int64
    ) {
        self.scannedAt = scannedAt
        self.event = event
        self.messenger = messenger
        self.workCenter = workCenter
        self.device = device
        self.seq = seq
        self.reason = reason
        self.latitude = latitude
        self.longitude = longitude
        self.receivedAt = receivedAt
    }
}
