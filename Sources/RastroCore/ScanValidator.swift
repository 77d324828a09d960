/// Turns the raw fields of one scan into a validated ``Scan``: the single definition of a valid scan, shared by
/// the CSV reader and the binary protocol.
public struct ScanValidator: Sendable {
    public var zone: SiteTimeZone
    public var events: EventCatalog
    /// When set, reasons must be catalog codes that apply to the scan's event.
    public var reasons: ReasonCatalog?
    public var limits: Limits
    /// Scans dated before this instant are rejected (2000-01-01T00:00Z): day keys start there.
    public static var earliestMilliseconds: Int64 { 946_684_800_000 }

    public init(zone: SiteTimeZone, events: EventCatalog = .standard, reasons: ReasonCatalog? = nil, limits: Limits = .default) {
        self.zone = zone
        self.events = events
        self.reasons = reasons
        self.limits = limits
    }

    /// The raw bytes of one scan's fields; `nil` or empty means absent.
    public struct RawFields {
        public var trackingID: UnsafeRawBufferPointer
        public var event: UnsafeRawBufferPointer
        public var scannedAt: UnsafeRawBufferPointer
        public var messenger: UnsafeRawBufferPointer
        public var workCenter: UnsafeRawBufferPointer
        public var device: UnsafeRawBufferPointer
        public var seq: UnsafeRawBufferPointer
        public var reason: UnsafeRawBufferPointer
        public var latitude: UnsafeRawBufferPointer
        public var longitude: UnsafeRawBufferPointer

        @inlinable
        public init(
            trackingID: UnsafeRawBufferPointer, event: UnsafeRawBufferPointer, scannedAt: UnsafeRawBufferPointer,
            messenger: UnsafeRawBufferPointer, workCenter: UnsafeRawBufferPointer, device: UnsafeRawBufferPointer,
            seq: UnsafeRawBufferPointer, reason: UnsafeRawBufferPointer, latitude: UnsafeRawBufferPointer,
            longitude: UnsafeRawBufferPointer
        ) {
            self.trackingID = trackingID
            self.event = event
            self.scannedAt = scannedAt
            self.messenger = messenger
            self.workCenter = workCenter
            self.device = device
            self.seq = seq
            self.reason = reason
            self.latitude = latitude
            self.longitude = longitude
        }
    }

    /// A field that failed validation.
    public struct Problem: Error, Sendable, Equatable {
        public var field: ScanField
        public var message: String

        public init(_ field: ScanField, _ message: String) {
            self.field = field
            self.message = message
        }
    }

    /// Validates `fields` and appends the scan to `batch`; on failure the batch is unchanged.
    @inlinable
    public mutating func append(
        _ fields: RawFields, receivedAt: Int64, source: UInt32, to batch: inout ScanBatch
    ) throws(Problem) {
        try check(fields.trackingID, .trackingID, limits.trackingIDBytes)
        guard let event = events.event(for: fields.event) else {
            if fields.event.isEmpty { throw Problem(.event, "is empty") }
            throw Problem(
                .event, "'\(String(decoding: fields.event.prefix(40), as: UTF8.self))' is not a known event code")
        }
        let scannedAt: Int64
        do throws(FieldProblem) {
            if fields.scannedAt.isEmpty { throw FieldProblem("is empty") }
            scannedAt = try Timestamp.parse(fields.scannedAt, zone: &zone)
        } catch {
            throw Problem(.scannedAt, error.message)
        }
        guard scannedAt >= Self.earliestMilliseconds else {
            throw Problem(.scannedAt, "is before 2000-01-01; the handheld's clock is wrong")
        }
        guard scannedAt <= receivedAt + limits.clockSkewAheadMilliseconds else {
            let hours = (scannedAt - receivedAt) / 3_600_000
            throw Problem(.scannedAt, "is \(hours) h after it was received; the handheld's clock is ahead")
        }
        try check(fields.messenger, .messenger, limits.identifierBytes)
        try check(fields.workCenter, .workCenter, limits.identifierBytes)
        try check(fields.device, .device, limits.identifierBytes)
        let seq: UInt64
        do throws(FieldProblem) { seq = try Decimal64.parse(fields.seq) } catch { throw Problem(.seq, error.message) }
        var reasonBytes = fields.reason
        var canonicalReason: InlineBytes? = nil
        if reasonBytes.isEmpty {
            if event.requiresReason { throw Problem(.reason, "is required for \(event.code)") }
        } else {
            try check(reasonBytes, .reason, limits.identifierBytes)
            if let reasons {
                guard let entry = reasons.entry(for: reasonBytes) else {
                    throw Problem(
                        .reason, "'\(String(decoding: reasonBytes, as: UTF8.self))' is not in the reason catalog")
                }
                guard entry.applies(to: event) else {
                    throw Problem(.reason, "'\(entry.code)' does not apply to \(event.code)")
                }
                canonicalReason = entry.code
            }
        }
        var latitude: Int32 = 0
        var longitude: Int32 = 0
        let hasLocation = !fields.latitude.isEmpty || !fields.longitude.isEmpty
        if hasLocation {
            if fields.latitude.isEmpty { throw Problem(.latitude, "is missing while lon is given; give both or neither") }
            if fields.longitude.isEmpty { throw Problem(.longitude, "is missing while lat is given; give both or neither") }
            do throws(FieldProblem) {
                latitude = try Coordinate.parse(fields.latitude, limitDegrees: 90)
            } catch { throw Problem(.latitude, error.message) }
            do throws(FieldProblem) {
                longitude = try Coordinate.parse(fields.longitude, limitDegrees: 180)
            } catch { throw Problem(.longitude, error.message) }
        }
        let trackingID = batch.store(fields.trackingID)
        let messenger = batch.store(fields.messenger)
        let workCenter = batch.store(fields.workCenter)
        let device = batch.store(fields.device)
        let reason: ByteSpan
        if let canonicalReason {
            reason = canonicalReason.withBytes { batch.store($0) }
        } else {
            reason = reasonBytes.isEmpty ? .empty : batch.store(reasonBytes)
        }
        reasonBytes = UnsafeRawBufferPointer(start: nil, count: 0)
        batch.scans.append(
            Scan(
                trackingID: trackingID, messenger: messenger, workCenter: workCenter, device: device, reason: reason,
                scannedAt: scannedAt, receivedAt: receivedAt, seq: seq, latitude: latitude, longitude: longitude,
                event: event, hasLocation: hasLocation, source: source))
    }

    @inlinable
    func check(_ bytes: UnsafeRawBufferPointer, _ field: ScanField, _ maximum: Int) throws(Problem) {
        if let problem = Identifier.problem(bytes, maximumBytes: maximum) { throw Problem(field, problem) }
    }
}
