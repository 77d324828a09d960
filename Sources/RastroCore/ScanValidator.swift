import RastroPrimitives

/// Turns the raw fields of one scan into a validated ``Scan``: the single definition of a valid scan, shared by
/// the CSV reader and the binary protocol.
public struct ScanValidator: Sendable {
    public var zone: SiteTimeZone
    public var events: EventCatalog {
        didSet { recentEvents = RecentEventCodes() }
    }
    /// The spellings of events met lately (``RecentEventCodes``), reset with ``events``.
    @usableFromInline var recentEvents = RecentEventCodes()
    /// When set, reasons must be catalog codes that apply to the scan's event.
    public var reasons: ReasonCatalog?
    public var limits: Limits
    /// Whether appended scans get their ``InlineBytes/trackingHash`` in ``ScanBatch/trackingHashes``: on for scans
    /// bound for a store (``Store/validator()``), off for a client that only forwards them.
    public var hashesTrackingIDs = false
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
        public var trackingID: ByteView
        public var event: ByteView
        public var scannedAt: ByteView
        public var messenger: ByteView
        public var workCenter: ByteView
        public var device: ByteView
        public var seq: ByteView
        public var reason: ByteView
        public var latitude: ByteView
        public var longitude: ByteView

        @inlinable
        public init(
            trackingID: ByteView, event: ByteView, scannedAt: ByteView,
            messenger: ByteView, workCenter: ByteView, device: ByteView,
            seq: ByteView, reason: ByteView, latitude: ByteView,
            longitude: ByteView
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
        guard let event = recentEvents.event(for: fields.event, in: events) else {
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
        try checkTime(scannedAt, receivedAt: receivedAt)
        // A messenger, centre or device with the bytes of the scan this validator appended last was checked then: it
        // is not checked again, and it shares that scan's span (``ScanBatch/store(_:_:_:_:shared:)``). Consecutive
        // scans nearly always repeat all three.
        let previous = batch.lastChecked == (batch.count, limits.identifierBytes) ? batch.scans.last : nil
        /// The previous scan's span when `bytes` equal it; otherwise `bytes` are checked and `nil` returned.
        func sharedOrChecked(_ stored: ByteSpan?, _ bytes: ByteView, _ field: ScanField) throws(Problem) -> ByteSpan? {
            if let stored, let span = batch.span(stored, ifEqualTo: bytes) { return span }
            try check(bytes, field, limits.identifierBytes)
            return nil
        }
        let sameMessenger = try sharedOrChecked(previous?.messenger, fields.messenger, .messenger)
        let sameCenter = try sharedOrChecked(previous?.workCenter, fields.workCenter, .workCenter)
        let sameDevice = try sharedOrChecked(previous?.device, fields.device, .device)
        let seq: UInt64
        do throws(FieldProblem) { seq = try Decimal64.parse(fields.seq) } catch { throw Problem(.seq, error.message) }
        let canonicalReason = try checkReason(fields.reason, event: event)
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
        store(
            trackingID: fields.trackingID, messenger: fields.messenger, workCenter: fields.workCenter, device: fields.device,
            shared: (sameMessenger, sameCenter, sameDevice), reason: fields.reason, canonicalReason: canonicalReason,
            scannedAt: scannedAt, receivedAt: receivedAt, seq: seq, latitude: latitude, longitude: longitude, event: event,
            hasLocation: hasLocation, source: source, to: &batch)
        batch.lastChecked = (batch.count, limits.identifierBytes)
    }

    /// An identifier already in the batch's arena and already checked with ``identifierProblem(_:)``: the binary
    /// protocol's dictionary entries, which thousands of scans share, are copied and checked once, not per scan.
    public struct CheckedIdentifier {
        public var span: ByteSpan
        /// Why the identifier is invalid, or `nil`.
        public var problem: String?

        @inlinable
        public init(span: ByteSpan, problem: String?) {
            self.span = span
            self.problem = problem
        }
    }

    /// Why `bytes` are not a valid messenger, work centre, device or reason, or `nil`: the check
    /// ``CheckedIdentifier`` carries.
    @inlinable
    public func identifierProblem(_ bytes: ByteView) -> String? {
        Identifier.problem(bytes, maximumBytes: limits.identifierBytes)
    }

    /// A scan whose times, numbers and event are already typed (the binary protocol): the same rules as text.
    /// The tracking id and reason come as inline bytes (at most 40; longer ones are rejected by the decoder with the
    /// same message this validator would give); messenger, work centre and device come checked and stored.
    public struct TypedFields {
        public var trackingID: InlineBytes
        public var event: Event
        public var scannedAt: Int64
        public var messenger: CheckedIdentifier
        public var workCenter: CheckedIdentifier
        public var device: CheckedIdentifier
        public var seq: UInt64
        /// `nil` when the scan has no reason.
        public var reason: InlineBytes?
        /// 1e-7 degree, when the scan has a location.
        public var location: (latitude: Int32, longitude: Int32)?

        @inlinable
        public init(
            trackingID: InlineBytes, event: Event, scannedAt: Int64, messenger: CheckedIdentifier,
            workCenter: CheckedIdentifier, device: CheckedIdentifier, seq: UInt64, reason: InlineBytes?, location: (latitude: Int32, longitude: Int32)?
        ) {
            self.trackingID = trackingID
            self.event = event
            self.scannedAt = scannedAt
            self.messenger = messenger
            self.workCenter = workCenter
            self.device = device
            self.seq = seq
            self.reason = reason
            self.location = location
        }
    }

    /// Validates typed fields and appends the scan to `batch`; on failure no scan is appended (the checked
    /// identifiers' bytes stay in the arena, for the next scans that use them).
    @inlinable
    public mutating func append(
        typed fields: TypedFields, receivedAt: Int64, source: UInt32, to batch: inout ScanBatch
    ) throws(Problem) {
        try check(fields.trackingID, .trackingID, limits.trackingIDBytes)
        try checkTime(fields.scannedAt, receivedAt: receivedAt)
        if let problem = fields.messenger.problem { throw Problem(.messenger, problem) }
        if let problem = fields.workCenter.problem { throw Problem(.workCenter, problem) }
        if let problem = fields.device.problem { throw Problem(.device, problem) }
        // Most scans carry no reason: they skip the closure, which copied the validator (its catalogs retained and
        // released) per scan.
        let canonicalReason: InlineBytes?
        if let reason = fields.reason {
            canonicalReason = try reason.withBytes { bytes throws(Problem) in try checkReason(bytes, event: fields.event) }
        } else {
            canonicalReason = try checkReason(ByteView(), event: fields.event)
        }
        if let (latitude, longitude) = fields.location {
            guard Int64(latitude).magnitude <= 90 * UInt64(Coordinate.unitsPerDegree) else {
                throw Problem(.latitude, "\(Coordinate.format(latitude)) is outside ±90 degrees")
            }
            guard Int64(longitude).magnitude <= 180 * UInt64(Coordinate.unitsPerDegree) else {
                throw Problem(.longitude, "\(Coordinate.format(longitude)) is outside ±180 degrees")
            }
        }
        if hashesTrackingIDs { batch.trackingHashes.append(fields.trackingID.trackingHash) }
        let trackingSpan = fields.trackingID.withBytes { batch.store($0) }
        let reasonSpan: ByteSpan
        if let canonicalReason {
            reasonSpan = canonicalReason.withBytes { batch.store($0) }
        } else {
            reasonSpan = fields.reason.map { reason in reason.withBytes { batch.store($0) } } ?? .empty
        }
        batch.scans.append(
            Scan(
                trackingID: trackingSpan, messenger: fields.messenger.span, workCenter: fields.workCenter.span,
                device: fields.device.span, reason: reasonSpan, scannedAt: fields.scannedAt, receivedAt: receivedAt,
                seq: fields.seq, latitude: fields.location?.latitude ?? 0, longitude: fields.location?.longitude ?? 0,
                event: fields.event, hasLocation: fields.location != nil, source: source))
    }

    @inlinable
    func check(_ value: InlineBytes, _ field: ScanField, _ maximum: Int) throws(Problem) {
        if let problem = value.withBytes({ Identifier.problem($0, maximumBytes: maximum) }) { throw Problem(field, problem) }
    }

    /// `scanned_at` must be after 2000 and not later than a day after the scan was received.
    @inlinable
    func checkTime(_ scannedAt: Int64, receivedAt: Int64) throws(Problem) {
        guard scannedAt >= Self.earliestMilliseconds else {
            throw Problem(.scannedAt, "is before 2000-01-01; the handheld's clock is wrong")
        }
        guard scannedAt <= receivedAt + limits.clockSkewAheadMilliseconds else {
            let hours = (scannedAt - receivedAt) / 3_600_000
            throw Problem(.scannedAt, "is \(hours) h after it was received; the handheld's clock is ahead")
        }
    }

    /// Checks a reason against the event and the catalog; returns the catalog's spelling when there is a catalog.
    @inlinable
    func checkReason(_ reason: ByteView, event: Event) throws(Problem) -> InlineBytes? {
        if reason.isEmpty {
            if event.requiresReason { throw Problem(.reason, "is required for \(event.code)") }
            return nil
        }
        try check(reason, .reason, limits.identifierBytes)
        guard let reasons else { return nil }
        guard let entry = reasons.entry(for: reason) else {
            throw Problem(.reason, "'\(String(decoding: reason, as: UTF8.self))' is not in the reason catalog")
        }
        guard entry.applies(to: event) else {
            throw Problem(.reason, "'\(entry.code)' does not apply to \(event.code)")
        }
        return entry.code
    }

    /// Copies a validated scan's identifiers into the batch's arena and appends it.
    @inlinable
    func store(
        trackingID: ByteView, messenger: ByteView, workCenter: ByteView,
        device: ByteView, shared: (ByteSpan?, ByteSpan?, ByteSpan?), reason reasonBytes: ByteView,
        canonicalReason: InlineBytes?,
        scannedAt: Int64, receivedAt: Int64, seq: UInt64, latitude: Int32, longitude: Int32, event: Event,
        hasLocation: Bool, source: UInt32, to batch: inout ScanBatch
    ) {
        if hashesTrackingIDs { batch.trackingHashes.append(InlineBytes(trackingID).trackingHash) }
        let (trackingSpan, messengerSpan, centerSpan, deviceSpan) = batch.store(
            trackingID, messenger, workCenter, device, shared: shared)
        let reasonSpan: ByteSpan
        if let canonicalReason {
            reasonSpan = canonicalReason.withBytes { batch.store($0) }
        } else {
            reasonSpan = reasonBytes.isEmpty ? .empty : batch.store(reasonBytes)
        }
        batch.scans.append(
            Scan(
                trackingID: trackingSpan, messenger: messengerSpan, workCenter: centerSpan, device: deviceSpan,
                reason: reasonSpan, scannedAt: scannedAt, receivedAt: receivedAt, seq: seq, latitude: latitude,
                longitude: longitude, event: event, hasLocation: hasLocation, source: source))
    }

    @inlinable
    func check(_ bytes: ByteView, _ field: ScanField, _ maximum: Int) throws(Problem) {
        if let problem = Identifier.problem(bytes, maximumBytes: maximum) { throw Problem(field, problem) }
    }
}
