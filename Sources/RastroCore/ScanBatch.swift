import RastroPrimitives

/// A run of bytes inside a ``ScanBatch``'s arena.
public struct ByteSpan: Sendable, Hashable {
    public var offset: UInt32
    public var length: UInt32

    @inlinable
    public init(offset: UInt32, length: UInt32) {
        self.offset = offset
        self.length = length
    }

    public static let empty = ByteSpan(offset: 0, length: 0)
}

/// One validated, normalised scan. Identifiers are spans of the batch's arena, so a batch of scans costs two arrays,
/// not five strings per scan.
public struct Scan: Sendable {
    public var trackingID: ByteSpan
    public var messenger: ByteSpan
    public var workCenter: ByteSpan
    public var device: ByteSpan
    /// Empty when the scan has no reason.
    public var reason: ByteSpan
    /// The handheld's clock, milliseconds since the Unix epoch, UTC.
    public var scannedAt: Int64
    /// When the server received the scan, milliseconds since the Unix epoch, UTC.
    public var receivedAt: Int64
    public var seq: UInt64
    /// 1e-7 degree; meaningful only when `hasLocation`.
    public var latitude: Int32
    public var longitude: Int32
    public var event: Event
    public var hasLocation: Bool
    /// Where the scan came from, for reports: the CSV line, or the index in a wire batch.
    public var source: UInt32

    @inlinable
    public init(
        trackingID: ByteSpan, messenger: ByteSpan, workCenter: ByteSpan, device: ByteSpan, reason: ByteSpan,
        scannedAt: Int64, receivedAt: Int64, seq: UInt64, latitude: Int32, longitude: Int32, event: Event,
        hasLocation: Bool, source: UInt32
    ) {
        self.trackingID = trackingID
        self.messenger = messenger
        self.workCenter = workCenter
        self.device = device
        self.reason = reason
        self.scannedAt = scannedAt
        self.receivedAt = receivedAt
        self.seq = seq
        self.latitude = latitude
        self.longitude = longitude
        self.event = event
        self.hasLocation = hasLocation
        self.source = source
    }
}

/// Scans ready for the writer: the unit of work of the ingest path.
///
/// The batch owns its bytes, so it can cross threads without referring to the buffer it was parsed from.
public struct ScanBatch: Sendable {
    public var bytes: [UInt8] = []
    public var scans: [Scan] = []
    /// Each scan's ``InlineBytes/trackingHash``, when the batch was built by a validator that computes them: a
    /// column that is valid only while it has as many entries as ``scans`` (anything else is ignored, and the
    /// writer hashes the tracking ids itself).
    public var trackingHashes: [UInt64] = []
    /// Set by a ``ScanValidator`` after it appends a scan: the scan count then, and the identifier limit that scan's
    /// messenger, centre and device were checked against. The validator need not check the same bytes again in the
    /// next scan; any other append changes the count first, so the mark holds only for a scan the validator checked.
    @usableFromInline var lastChecked: (scans: Int, identifierBytes: Int) = (-1, 0)

    /// Whether ``trackingHashes`` holds every scan's hash.
    @inlinable public var hasTrackingHashes: Bool { trackingHashes.count == scans.count }

    public init() {}

    public init(reservingScans count: Int) {
        self.init(reservingScans: count, bytes: count * 48)
    }

    public init(reservingScans count: Int, bytes byteCount: Int) {
        scans.reserveCapacity(count)
        bytes.reserveCapacity(byteCount)
        trackingHashes.reserveCapacity(count)
    }

    @inlinable public var count: Int { scans.count }
    @inlinable public var isEmpty: Bool { scans.isEmpty }

    /// Copies bytes into the arena and returns their span.
    @inlinable
    public mutating func store(_ source: ByteView) -> ByteSpan {
        let span = ByteSpan(offset: UInt32(bytes.count), length: UInt32(source.count))
        bytes.append(source)
        return span
    }

    /// Copies a scan's four identifiers into the arena with one append, and returns their spans: its tracking id,
    /// messenger, work centre and device, which four appends each paid a uniqueness and a capacity check for.
    ///
    /// A messenger, centre or device with the same bytes as the previous scan's shares its span instead of being
    /// copied again. Consecutive scans nearly always come from the same handheld, person and centre, so the arena stays
    /// small, and the writer, which compares each scan's identifiers with the previous scan's to skip their dictionary lookups,
    /// finds equal spans without comparing bytes (the parser, which compares them here, runs at a lower priority
    /// than the writer).
    @inlinable
    public mutating func store(
        _ first: ByteView, _ second: ByteView, _ third: ByteView, _ fourth: ByteView
    ) -> (ByteSpan, ByteSpan, ByteSpan, ByteSpan) {
        let previous = scans.last
        return store(
            first, second, third, fourth,
            shared: (
                previous.flatMap { span($0.messenger, ifEqualTo: second) },
                previous.flatMap { span($0.workCenter, ifEqualTo: third) },
                previous.flatMap { span($0.device, ifEqualTo: fourth) }
            ))
    }

    /// ``store(_:_:_:_:)`` with the spans the second, third and fourth identifiers share already found (`nil`: stored).
    @inlinable
    public mutating func store(
        _ first: ByteView, _ second: ByteView, _ third: ByteView, _ fourth: ByteView, shared: (ByteSpan?, ByteSpan?, ByteSpan?)
    ) -> (ByteSpan, ByteSpan, ByteSpan, ByteSpan) {
        if let second = shared.0, let third = shared.1, let fourth = shared.2 {
            // The common case: only the tracking id is new, and one append copies it.
            return (store(first), second, third, fourth)
        }
        let start = bytes.count
        let total = first.count + (shared.0 == nil ? second.count : 0) + (shared.1 == nil ? third.count : 0)
            + (shared.2 == nil ? fourth.count : 0)
        bytes.append(contentsOf: repeatElement(0, count: total))
        var offset = start
        @inline(__always) func put(_ source: ByteView, _ target: MutableByteView) -> ByteSpan {
            let span = ByteSpan(offset: UInt32(offset), length: UInt32(source.count))
            target.copy(source, to: offset)
            offset += source.count
            return span
        }
        return bytes.withMutableByteView { target in
            (
                put(first, target), shared.0 ?? put(second, target), shared.1 ?? put(third, target),
                shared.2 ?? put(fourth, target)
            )
        }
    }

    /// `span` when its bytes equal `source` (not empty), otherwise `nil`.
    @inlinable @inline(__always)
    public func span(_ span: ByteSpan, ifEqualTo source: ByteView) -> ByteSpan? {
        guard span.length == source.count, source.count > 0 else { return nil }
        return bytes.withByteView { arena in
            arena.part(from: Int(span.offset), count: source.count).equals(source) ? span : nil
        }
    }

    /// Calls `body` with the bytes of a span.
    @inlinable
    public func withBytes<Result, Failure: Error>(_ span: ByteSpan, _ body: (ByteView) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        try bytes.withByteView { all throws(Failure) in
            try body(all.part(Int(span.offset)..<Int(span.offset + span.length)))
        }
    }

    /// The bytes of a span as inline bytes (identifiers are at most 40 bytes).
    @inlinable
    public func inline(_ span: ByteSpan) -> InlineBytes {
        withBytes(span) { InlineBytes($0) }
    }

    /// The bytes of a span as a `String`, for reports and tests.
    public func string(_ span: ByteSpan) -> String {
        withBytes(span) { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends a scan whose identifiers are given as strings (tests, generators, tools).
    public mutating func append(
        trackingID: String, event: Event, scannedAt: Int64, messenger: String, workCenter: String, device: String,
        seq: UInt64, reason: String? = nil, latitude: Int32? = nil, longitude: Int32? = nil, receivedAt: Int64 = 0,
        source: UInt32 = 0
    ) {
        func put(_ text: String) -> ByteSpan { text.withByteView { store($0) } }
        scans.append(
            Scan(
                trackingID: put(trackingID), messenger: put(messenger), workCenter: put(workCenter),
                device: put(device), reason: reason.map(put) ?? .empty, scannedAt: scannedAt,
                receivedAt: receivedAt, seq: seq, latitude: latitude ?? 0, longitude: longitude ?? 0, event: event,
                hasLocation: latitude != nil && longitude != nil, source: source))
    }

    /// Removes every scan, keeping the capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        scans.removeAll(keepingCapacity: true)
        trackingHashes.removeAll(keepingCapacity: true)
    }
}

extension ScanBatch {
    /// Appends another batch's scans, moving their identifiers into this batch's arena.
    public mutating func append(contentsOf other: ScanBatch) {
        // The hash column stays valid only if both were; otherwise it is dropped.
        if hasTrackingHashes && other.hasTrackingHashes {
            trackingHashes.append(contentsOf: other.trackingHashes)
        } else {
            trackingHashes.removeAll()
        }
        let shift = UInt32(bytes.count)
        bytes.append(contentsOf: other.bytes)
        // Exactly what is needed would reallocate on every call, copying all earlier scans each time: a caller
        // merging many batches reserves the total first (`init(reservingScans:bytes:)`); otherwise grow by doubling.
        if scans.capacity < scans.count + other.scans.count {
            scans.reserveCapacity(max(scans.count + other.scans.count, 2 * scans.capacity))
        }
        for var scan in other.scans {
            scan.trackingID.offset += shift
            scan.messenger.offset += shift
            scan.workCenter.offset += shift
            scan.device.offset += shift
            if scan.reason.length > 0 { scan.reason.offset += shift }
            scans.append(scan)
        }
    }
}
