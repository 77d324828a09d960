import RastroCore
import RastroPrimitives

/// Writes `batch` frames (client side), docs/protocol.md §4:
///
/// ```
/// batch := batchNumber: varint | scans: varint | baseTime: zigzag varint (ms) | scan × scans
/// scan  := flags: u8 (bit 0 reason, bit 1 location) | event: u8 | trackingID | Δtime: zigzag
///          | messenger: ref | workCenter: ref | device: ref | Δseq: zigzag | [reason: ref] | [Δlat: zigzag Δlon: zigzag]
/// trackingID := shared: u8 | suffixLength: u8 | suffix      (against the previous scan's tracking id)
/// ref        := index: varint, and when index = dictionary size: length: u8 | bytes (a new entry)
/// ```
/// `Δtime` is against the previous scan (the first against `baseTime`), `Δseq` is `seq − previous seq − 1` (wrapping;
/// the first against 0), `Δlat`/`Δlon` against the previous scan with a location (the first against 0), all in
/// milliseconds and 1e-7 degree.
public struct BatchEncoder: Sendable {
    var dictionary = ConnectionDictionary()

    public init() {}

    /// Encodes scans `range` of `batch` as the payload of batch `number`.
    public mutating func encode(_ batch: ScanBatch, _ range: Range<Int>, number: UInt64, into writer: ByteWriter) {
        writer.varint(number)
        writer.varint(range.count)
        let baseTime = range.isEmpty ? 0 : batch.scans[range.lowerBound].scannedAt
        writer.zigzag(baseTime)
        var previousTime = baseTime
        var previousSeq: UInt64 = 0
        var previousLatitude: Int64 = 0
        var previousLongitude: Int64 = 0
        var previousTracking = InlineBytes(ByteView())
        // A handheld's consecutive scans share their messenger, centre and device: comparing with the previous
        // scan's skips the dictionary's hashing for most of them.
        var recent = (messenger: Recent(), center: Recent(), device: Recent())
        for index in range {
            let scan = batch.scans[index]
            var flags: UInt8 = 0
            if scan.reason.length > 0 { flags |= 1 }
            if scan.hasLocation { flags |= 2 }
            writer.byte(flags)
            writer.byte(scan.event.rawValue)
            let tracking = batch.inline(scan.trackingID)
            tracking.withBytes { current in
                previousTracking.withBytes { before in
                    var shared = 0
                    let limit = min(current.count, before.count)
                    while shared < limit && current[shared] == before[shared] { shared += 1 }
                    writer.byte(UInt8(shared))
                    writer.byte(UInt8(current.count - shared))
                    writer.append(current.part(from: shared))
                }
            }
            previousTracking = tracking
            writer.zigzag(scan.scannedAt &- previousTime)
            previousTime = scan.scannedAt
            reference(batch.inline(scan.messenger), writer, &recent.messenger)
            reference(batch.inline(scan.workCenter), writer, &recent.center)
            reference(batch.inline(scan.device), writer, &recent.device)
            writer.zigzag(Int64(bitPattern: scan.seq &- previousSeq &- 1))
            previousSeq = scan.seq
            if scan.reason.length > 0 { reference(batch.inline(scan.reason), writer) }
            if scan.hasLocation {
                writer.zigzag(Int64(scan.latitude) &- previousLatitude)
                writer.zigzag(Int64(scan.longitude) &- previousLongitude)
                previousLatitude = Int64(scan.latitude)
                previousLongitude = Int64(scan.longitude)
            }
        }
    }

    /// The last string a field referred to and its index (entries are never removed, so it stays valid).
    struct Recent {
        var value = InlineBytes(ByteView())
        var index = -1
    }

    mutating func reference(_ value: InlineBytes, _ writer: ByteWriter, _ recent: inout Recent) {
        if recent.index >= 0 && recent.value == value {
            writer.varint(recent.index)
            return
        }
        recent.value = value
        recent.index = reference(value, writer)
    }

    /// Writes a reference to `value`, defining it first if the connection has not; returns its index.
    @discardableResult
    mutating func reference(_ value: InlineBytes, _ writer: ByteWriter) -> Int {
        if let index = dictionary.indexes[value] {
            writer.varint(index)
            return index
        }
        precondition(dictionary.count < ConnectionDictionary.capacity, "more distinct strings than one connection may define")
        writer.varint(dictionary.count)
        value.withBytes { bytes in
            writer.byte(UInt8(bytes.count))
            writer.append(bytes)
        }
        let index = dictionary.count
        dictionary.indexes[value] = index
        dictionary.entries.append(value)
        return index
    }
}
