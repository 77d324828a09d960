import RastroCore
import RastroPrimitives

/// Up to 256 consecutive items with every scan of each, in timeline order: the primary copy of every scan.
///
/// Decoded into flat arrays (names, item start offsets, scans) so that a block costs three arrays, not one per item.
/// See docs/storage.md §5.1 for the byte layout.
public struct TraceBlock: Sendable {
    /// Items per block: `item id >> itemShift` is the block number.
    public static var itemShift: UInt32 { 8 }
    public static var capacity: Int { 1 << 8 }

    public var number: UInt32
    public var names: [InlineBytes] = []
    /// `starts[i] ..< starts[i + 1]` are the scans of item `firstItem + i`; `starts.count == names.count + 1`.
    public var starts: [Int] = [0]
    public var scans: [StoredScan] = []

    public init(number: UInt32) { self.number = number }

    public var firstItem: UInt32 { number << Self.itemShift }
    public var itemCount: Int { names.count }

    /// The scans of the item at `index` within the block.
    public func timeline(_ index: Int) -> ArraySlice<StoredScan> { scans[starts[index]..<starts[index + 1]] }

    public mutating func removeAll(number: UInt32) {
        self.number = number
        names.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        scans.removeAll(keepingCapacity: true)
    }

    /// Appends an item with its timeline.
    public mutating func appendItem<Scans: Sequence>(name: InlineBytes, scans timeline: Scans) where Scans.Element == StoredScan {
        names.append(name)
        scans.append(contentsOf: timeline)
        starts.append(scans.count)
    }
}

extension TraceBlock {

    // Flag bits of an encoded scan (bits 0–2 hold the event).
    static var flagReason: UInt8 { 1 << 3 }
    static var flagLocation: UInt8 { 1 << 4 }
    static var flagSameMessenger: UInt8 { 1 << 5 }
    static var flagSameCenter: UInt8 { 1 << 6 }
    static var flagSameReceived: UInt8 { 1 << 7 }

    /// The previous scan of one handheld within the block: what the next scan of that handheld is encoded against.
    struct DeviceContext {
        var device: UInt32
        var time: Int64
        var seq: UInt64
        var received: Int64
        var messenger: UInt32 = 0
        var center: UInt32 = 0
        var latitude: Int64 = 0
        var longitude: Int64 = 0
    }

    @inline(__always)
    static func unitValue(_ code: UInt8) -> Int64 {
        switch code {
        case 3: 1000
        case 2: 100
        case 1: 10
        default: 1
        }
    }

    /// Encodes the block's payload (uncompressed) into `writer`.
    public func encodePayload(into writer: ByteWriter) {
        precondition(names.count <= Self.capacity && starts.count == names.count + 1)
        // One pass: the common units of times and coordinates, and the bases.
        var coordinateCode: UInt8 = 3
        var minimumTime = Int64.max
        // The distinct receive times of the block: a block is written by a few commits, each receiving its scans at
        // a few instants, so a scan's receive time is a small index into this table.
        var received: [Int64] = []
        var receivedLookup: [Int64: Int]? = nil
        var lastReceived = Int64.min
        for scan in scans {
            if scan.hasLocation {
                while coordinateCode > 0
                    && (Int64(scan.latitude) % Self.unitValue(coordinateCode) != 0
                        || Int64(scan.longitude) % Self.unitValue(coordinateCode) != 0)
                {
                    coordinateCode -= 1
                }
            }
            minimumTime = min(minimumTime, scan.scannedAt)
            if scan.receivedAt != lastReceived {
                lastReceived = scan.receivedAt
                if let lookup = receivedLookup {
                    if lookup[lastReceived] == nil {
                        receivedLookup![lastReceived] = received.count
                        received.append(lastReceived)
                    }
                } else if !received.contains(lastReceived) {
                    received.append(lastReceived)
                    if received.count > 32 {
                        receivedLookup = Dictionary(uniqueKeysWithValues: received.enumerated().map { ($1, $0) })
                    }
                }
            }
        }
        if scans.isEmpty { minimumTime = 0 }
        received.sort()
        // A binary search of the sorted table: a few dozen entries at most, where hashing for a dictionary cost more.
        func receivedPosition(_ value: Int64) -> Int { received.partitioningIndex { $0 >= value } }
        let coordinateUnit = Self.unitValue(coordinateCode)
        let baseTime = minimumTime
        let baseReceived = received.first ?? 0
        // Bound: header, then at most 48 bytes per item header and 64 per scan (every field at its widest).
        let bound = 32 + names.count * 48 + scans.count * 64 + received.count * 10
        writer.withAppender(maximumBytes: bound) { out in
            out.varint(names.count)
            out.byte(coordinateCode)
            out.zigzag(baseTime)
            out.varint(received.count)
            var previousReceived: Int64 = 0
            for value in received {
                out.zigzag(value &- previousReceived)
                previousReceived = value
            }
            // An open-addressed table maps a device id to its slot in this block; at most one slot per scan, so twice
            // the scan count (rounded to a power of two) keeps it at most half full. The table and the slots'
            // contexts are written through array views: writing a scan's context back into an array checks the
            // array's uniqueness, a runtime call, once per scan.
            var tableSize = 64
            while tableSize < 2 * scans.count { tableSize *= 2 }
            let mask = tableSize - 1
            var slotTableStorage = [(slot: Int32, device: UInt32)](repeating: (-1, 0), count: tableSize)
            var contextStorage = [DeviceContext](
                repeating: DeviceContext(device: 0, time: 0, seq: 0, received: 0), count: max(1, scans.count))
            var contextCount = 0
            slotTableStorage.withMutableArrayView { slotTable in contextStorage.withMutableArrayView { contexts in
                func slot(of device: UInt32) -> (slot: Int, isNew: Bool) {
                    var probe = Int(truncatingIfNeeded: FastHash.mix(UInt64(device))) & mask
                    while slotTable[probe].slot >= 0 {
                        if slotTable[probe].device == device { return (Int(slotTable[probe].slot), false) }
                        probe = (probe + 1) & mask
                    }
                    slotTable[probe] = (Int32(contextCount), device)
                    return (contextCount, true)
                }
                var previousName = InlineBytes(ByteView())
                for item in 0..<names.count {
                    NameCoding.encode(names[item], after: previousName, into: &out)
                    previousName = names[item]
                    out.varint(starts[item + 1] - starts[item])
                    for index in starts[item]..<starts[item + 1] {
                        let scan = scans[index]
                        let (slot, isNewDevice) = slot(of: scan.device)
                        if isNewDevice {
                            contexts[contextCount] = DeviceContext(device: scan.device, time: baseTime, seq: 0, received: baseReceived)
                            contextCount += 1
                        }
                        var context = contexts[slot]
                        var flags = scan.event.rawValue
                        if scan.reason != 0 { flags |= Self.flagReason }
                        if scan.hasLocation { flags |= Self.flagLocation }
                        if scan.messenger == context.messenger { flags |= Self.flagSameMessenger }
                        if scan.workCenter == context.center { flags |= Self.flagSameCenter }
                        if scan.receivedAt == context.received { flags |= Self.flagSameReceived }
                        out.byte(flags)
                        out.varint(slot)
                        if isNewDevice { out.varint(scan.device) }
                        let time = scan.scannedAt
                        out.varint(TimeDelta.encode(time &- context.time))
                        out.zigzag(Int64(bitPattern: scan.seq &- context.seq &- 1))
                        if flags & Self.flagSameMessenger == 0 { out.varint(scan.messenger) }
                        if flags & Self.flagSameCenter == 0 { out.varint(scan.workCenter) }
                        if flags & Self.flagSameReceived == 0 { out.varint(receivedPosition(scan.receivedAt)) }
                        if scan.reason != 0 { out.varint(scan.reason) }
                        if scan.hasLocation {
                            let latitude = Int64(scan.latitude) / coordinateUnit
                            let longitude = Int64(scan.longitude) / coordinateUnit
                            out.zigzag(latitude &- context.latitude)
                            out.zigzag(longitude &- context.longitude)
                            context.latitude = latitude
                            context.longitude = longitude
                        }
                        context.time = time
                        context.seq = scan.seq
                        context.received = scan.receivedAt
                        context.messenger = scan.messenger
                        context.center = scan.workCenter
                        contexts[slot] = context
                    }
                }
            } }
        }
    }

    /// Writes one name after another (see ``NameCoding``).
    static func encodeName(_ name: InlineBytes, after previous: InlineBytes, into writer: ByteWriter) {
        writer.withAppender(maximumBytes: 48) { NameCoding.encode(name, after: previous, into: &$0) }
    }

    /// Encodes the whole value into `output`: raw, or sealed with zstd when `zstd` is given and it pays
    /// (see ``SealedValue``).
    public func encode(into output: ByteWriter, scratch: ByteWriter, zstd: Zstd?) {
        scratch.removeAll()
        encodePayload(into: scratch)
        SealedValue.encode(scratch, into: output, zstd: zstd)
    }

    /// Whether an encoded value is zstd-compressed (sealed).
    public static func isSealed(_ value: ByteView) -> Bool { SealedValue.isSealed(value) }

    /// Decodes a stored value, decompressing into `scratch` when sealed.
    public mutating func decode(
        _ value: ByteView, number: UInt32, zstd: Zstd, scratch: inout [UInt8]
    ) throws(StoreCorruption) {
        removeAll(number: number)
        do {
            if Self.isTailed(value) {
                try decodeTailed(value, zstd: zstd, scratch: &scratch)
            } else {
                try SealedValue.withPayload(value, zstd: zstd, scratch: &scratch) { payload in try decodePayload(payload) }
            }
        } catch let error as StoreCorruption {
            throw StoreCorruption("trace block \(number): \(error.message)")
        } catch {
            throw StoreCorruption("trace block \(number): \(error)")
        }
    }

    /// Decodes a payload without its envelope (docs/storage.md §5.1): what ``decode(_:number:zstd:scratch:)`` calls once
    /// the value's checksum holds, public for the fuzz targets, which feed it bytes no checksum would let through.
    public mutating func decodePayload(_ payload: ByteView) throws(StoreCorruption) {
        var reader = ByteReader(payload)
        // A scan takes at least 3 bytes: this reserves enough without a second pass.
        scans.reserveCapacity(payload.count / 3)
        let itemCount = try reader.count(maximum: Self.capacity)
        let coordinateCode = try reader.byte()
        guard coordinateCode <= 3 else { throw StoreCorruption("trace block \(number) has bad units") }
        let coordinateUnit = Self.unitValue(coordinateCode)
        let baseTime = try reader.zigzag()
        let receivedCount = try reader.count(maximum: min(1 << 24, reader.remaining))
        var received: [Int64] = []
        received.reserveCapacity(receivedCount)
        var previousReceived: Int64 = 0
        for _ in 0..<receivedCount {
            previousReceived &+= try reader.zigzag()
            received.append(previousReceived)
        }
        let baseReceived = received.first ?? 0
        var contexts: [DeviceContext] = []
        contexts.reserveCapacity(16)
        var previousName = NameCoding.Previous()
        for _ in 0..<itemCount {
            names.append(try NameCoding.decode(&reader, previous: &previousName))
            let scanCount = try reader.count(maximum: 1 << 24)
            for _ in 0..<scanCount {
                let flags = try reader.byte()
                guard let event = Event(rawValue: flags & 0x07) else { throw StoreCorruption("trace block \(number) has event \(flags & 7)") }
                let slot = try reader.count(maximum: contexts.count)
                if slot == contexts.count {
                    let device = try reader.varint32()
                    contexts.append(DeviceContext(device: device, time: baseTime, seq: 0, received: baseReceived))
                }
                var context = contexts[slot]
                context.time &+= TimeDelta.decode(try reader.varint())
                context.seq = context.seq &+ UInt64(bitPattern: try reader.zigzag()) &+ 1
                if flags & Self.flagSameMessenger == 0 { context.messenger = try reader.varint32() }
                if flags & Self.flagSameCenter == 0 { context.center = try reader.varint32() }
                if flags & Self.flagSameReceived == 0 {
                    let index = try reader.count(maximum: receivedCount - 1)
                    context.received = received[index]
                }
                let reason = flags & Self.flagReason != 0 ? try reader.varint32() : 0
                let hasLocation = flags & Self.flagLocation != 0
                if hasLocation {
                    context.latitude &+= try reader.zigzag()
                    context.longitude &+= try reader.zigzag()
                }
                contexts[slot] = context
                scans.append(
                    StoredScan(
                        scannedAt: context.time, receivedAt: context.received, seq: context.seq,
                        messenger: context.messenger, workCenter: context.center, device: context.device, reason: reason,
                        latitude: hasLocation ? Int32(truncatingIfNeeded: context.latitude &* coordinateUnit) : 0,
                        longitude: hasLocation ? Int32(truncatingIfNeeded: context.longitude &* coordinateUnit) : 0,
                        event: event, hasLocation: hasLocation))
            }
            starts.append(scans.count)
        }
        guard reader.isAtEnd else { throw StoreCorruption("trace block \(number) has \(reader.remaining) trailing bytes") }
    }
}
