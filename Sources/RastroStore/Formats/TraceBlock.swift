import RastroCore

/// Up to 64 consecutive items with every scan of each, in timeline order: the primary copy of every scan.
///
/// Decoded into flat arrays (names, item start offsets, scans) so that a block costs three arrays, not one per item.
/// See docs/storage.md §5.1 for the byte layout.
public struct TraceBlock: Sendable {
    /// Items per block: `item id >> itemShift` is the block number.
    public static var itemShift: UInt32 { 6 }
    public static var capacity: Int { 1 << 6 }

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
    static var formatRaw: UInt8 { 0 }
    static var formatZstd: UInt8 { 1 }

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

    /// The largest of 1000, 100, 10, 1 that divides every value.
    static func unitCode<Values: Sequence>(_ values: Values) -> UInt8 where Values.Element == Int64 {
        var code: UInt8 = 3
        for value in values {
            while code > 0 && value % unitValue(code) != 0 { code -= 1 }
            if code == 0 { break }
        }
        return code
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
        var timeCode: UInt8 = 3
        var coordinateCode: UInt8 = 3
        var minimumTime = Int64.max
        var minimumReceived = Int64.max
        for scan in scans {
            while timeCode > 0 && scan.scannedAt % Self.unitValue(timeCode) != 0 { timeCode -= 1 }
            if scan.hasLocation {
                while coordinateCode > 0
                    && (Int64(scan.latitude) % Self.unitValue(coordinateCode) != 0
                        || Int64(scan.longitude) % Self.unitValue(coordinateCode) != 0)
                {
                    coordinateCode -= 1
                }
            }
            minimumTime = min(minimumTime, scan.scannedAt)
            minimumReceived = min(minimumReceived, scan.receivedAt)
        }
        if scans.isEmpty {
            minimumTime = 0
            minimumReceived = 0
        }
        let timeUnit = Self.unitValue(timeCode)
        let coordinateUnit = Self.unitValue(coordinateCode)
        let baseTime = minimumTime / timeUnit
        let baseReceived = minimumReceived
        // Bound: header, then at most 48 bytes per item header and 64 per scan (every field at its widest).
        let bound = 32 + names.count * 48 + scans.count * 64
        writer.withAppender(maximumBytes: bound) { out in
            out.byte(UInt8(names.count))
            out.byte(timeCode)
            out.byte(coordinateCode)
            out.zigzag(baseTime)
            out.zigzag(baseReceived)
            var contexts: [DeviceContext] = []
            contexts.reserveCapacity(32)
            // Device ids are dense dictionary ids: a small open-addressed table maps one to its slot in this block.
            var slotTable = [Int32](repeating: -1, count: 256)
            var slotDevices = [UInt32](repeating: 0, count: 256)
            func slot(of device: UInt32) -> (slot: Int, isNew: Bool) {
                var probe = Int(truncatingIfNeeded: FastHash.mix(UInt64(device))) & 255
                while slotTable[probe] >= 0 {
                    if slotDevices[probe] == device { return (Int(slotTable[probe]), false) }
                    probe = (probe + 1) & 255
                }
                precondition(contexts.count < 200, "more than 200 handhelds in one block")
                slotTable[probe] = Int32(contexts.count)
                slotDevices[probe] = device
                return (contexts.count, true)
            }
            var previousName = InlineBytes(UnsafeRawBufferPointer(start: nil, count: 0))
            for item in 0..<names.count {
                Self.encodeName(names[item], after: previousName, into: &out)
                previousName = names[item]
                out.varint(starts[item + 1] - starts[item])
                for index in starts[item]..<starts[item + 1] {
                    let scan = scans[index]
                    let (slot, isNewDevice) = slot(of: scan.device)
                    if isNewDevice {
                        contexts.append(DeviceContext(device: scan.device, time: baseTime, seq: 0, received: baseReceived))
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
                    let time = scan.scannedAt / timeUnit
                    out.zigzag(time &- context.time)
                    out.zigzag(Int64(bitPattern: scan.seq &- context.seq &- 1))
                    if flags & Self.flagSameMessenger == 0 { out.varint(scan.messenger) }
                    if flags & Self.flagSameCenter == 0 { out.varint(scan.workCenter) }
                    if flags & Self.flagSameReceived == 0 { out.zigzag(scan.receivedAt &- context.received) }
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
        }
    }

    /// Front coding: the length of the prefix shared with the previous name, then the rest.
    static func encodeName(_ name: InlineBytes, after previous: InlineBytes, into writer: ByteWriter) {
        writer.withAppender(maximumBytes: 48) { encodeName(name, after: previous, into: &$0) }
    }

    @inline(__always)
    static func encodeName(_ name: InlineBytes, after previous: InlineBytes, into writer: inout ByteAppender) {
        name.withBytes { current in
            previous.withBytes { before in
                var shared = 0
                let limit = min(current.count, before.count)
                while shared < limit && current[shared] == before[shared] { shared += 1 }
                writer.byte(UInt8(shared))
                writer.byte(UInt8(current.count - shared))
                writer.append(UnsafeRawBufferPointer(rebasing: current[shared...]))
            }
        }
    }

    /// Encodes the whole value into `output`: raw, or zstd-compressed when `zstd` is given and compression saves at
    /// least 10 %.
    public func encode(into output: ByteWriter, scratch: ByteWriter, zstd: Zstd?) {
        scratch.removeAll()
        encodePayload(into: scratch)
        output.removeAll()
        if let zstd, scratch.count >= 256 {
            output.byte(Self.formatZstd)
            output.varint(scratch.count)
            scratch.withBytes { _ = zstd.compress($0, appendingTo: output) }
            if output.count <= scratch.count * 9 / 10 { return }
            output.removeAll()
        }
        output.byte(Self.formatRaw)
        scratch.withBytes { output.append($0) }
    }

    /// Whether an encoded value is zstd-compressed (sealed).
    public static func isSealed(_ value: UnsafeRawBufferPointer) -> Bool { value.first == formatZstd }

    /// Decodes a stored value, decompressing into `scratch` when sealed.
    public mutating func decode(
        _ value: UnsafeRawBufferPointer, number: UInt32, zstd: Zstd, scratch: inout [UInt8]
    ) throws(StoreCorruption) {
        removeAll(number: number)
        guard let format = value.first else { throw StoreCorruption("empty trace block \(number)") }
        if format == Self.formatRaw {
            try decodePayload(UnsafeRawBufferPointer(rebasing: value[1...]))
            return
        }
        guard format == Self.formatZstd else { throw StoreCorruption("trace block \(number) has unknown format \(format)") }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: value[1...]))
        let rawLength = try reader.count(maximum: 1 << 30)
        try zstd.decompress(UnsafeRawBufferPointer(rebasing: reader.bytes[reader.position...]), rawLength: rawLength, into: &scratch)
        var decodeError: StoreCorruption? = nil
        scratch.withUnsafeBytes { payload in
            do throws(StoreCorruption) { try decodePayload(payload) } catch { decodeError = error }
        }
        if let decodeError { throw decodeError }
    }

    mutating func decodePayload(_ payload: UnsafeRawBufferPointer) throws(StoreCorruption) {
        var reader = ByteReader(payload)
        // A scan takes at least 3 bytes: this reserves enough without a second pass.
        scans.reserveCapacity(payload.count / 3)
        let itemCount = Int(try reader.byte())
        guard itemCount <= Self.capacity else { throw StoreCorruption("trace block \(number) claims \(itemCount) items") }
        let timeCode = try reader.byte()
        let coordinateCode = try reader.byte()
        guard timeCode <= 3, coordinateCode <= 3 else { throw StoreCorruption("trace block \(number) has bad units") }
        let timeUnit = Self.unitValue(timeCode)
        let coordinateUnit = Self.unitValue(coordinateCode)
        let baseTime = try reader.zigzag()
        let baseReceived = try reader.zigzag()
        var contexts: [DeviceContext] = []
        contexts.reserveCapacity(16)
        var nameBuffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var nameLength = 0
        for _ in 0..<itemCount {
            let shared = Int(try reader.byte())
            let suffixLength = Int(try reader.byte())
            guard shared <= nameLength, shared + suffixLength <= InlineBytes.capacity else {
                throw StoreCorruption("trace block \(number) has a bad name encoding")
            }
            let suffix = try reader.slice(suffixLength)
            withUnsafeMutableBytes(of: &nameBuffer) { raw in
                if suffixLength > 0 { (raw.baseAddress! + shared).copyMemory(from: suffix.baseAddress!, byteCount: suffixLength) }
            }
            nameLength = shared + suffixLength
            names.append(withUnsafeBytes(of: &nameBuffer) { InlineBytes(UnsafeRawBufferPointer(rebasing: $0[0..<nameLength])) })
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
                context.time &+= try reader.zigzag()
                context.seq = context.seq &+ UInt64(bitPattern: try reader.zigzag()) &+ 1
                if flags & Self.flagSameMessenger == 0 { context.messenger = try reader.varint32() }
                if flags & Self.flagSameCenter == 0 { context.center = try reader.varint32() }
                if flags & Self.flagSameReceived == 0 { context.received &+= try reader.zigzag() }
                let reason = flags & Self.flagReason != 0 ? try reader.varint32() : 0
                let hasLocation = flags & Self.flagLocation != 0
                if hasLocation {
                    context.latitude &+= try reader.zigzag()
                    context.longitude &+= try reader.zigzag()
                }
                contexts[slot] = context
                scans.append(
                    StoredScan(
                        scannedAt: context.time &* timeUnit, receivedAt: context.received, seq: context.seq,
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
