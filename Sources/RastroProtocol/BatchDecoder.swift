import RastroCore
import RastroPrimitives

/// Reads `batch` frames (server side) into validated scans, with the connection's dictionary.
///
/// A scan whose fields break a rule is reported with its index, field and reason and its neighbours are kept. A frame
/// whose encoding is broken (truncated, an index beyond the dictionary) cannot be read past the break: it is a
/// protocol error for the whole frame.
public struct BatchDecoder: Sendable {
    /// The connection's strings by index; `nil` for one longer than any identifier may be.
    var dictionary: [InlineBytes?] = []
    /// Each entry's identifier problem, found once when it is defined rather than on every scan that uses it.
    var problems: [String?] = []
    /// Where each entry's bytes are in the batch being decoded, valid when its stamp is the current ``generation``:
    /// a string shared by thousands of scans is copied into the batch once per frame, not once per scan.
    var spans: [ByteSpan] = []
    var stamps: [UInt32] = []
    var generation: UInt32 = 0
    public var validator: ScanValidator
    public let maximumScans: Int

    public init(validator: ScanValidator, maximumScans: Int) {
        self.validator = validator
        self.maximumScans = maximumScans
    }

    /// One scan the decoder refused, by its index in the batch.
    public struct Rejection: Sendable, Equatable {
        public var index: Int
        public var field: ScanField
        public var message: String
    }

    /// Decodes a batch payload; valid scans go to `batch` with `source` = their index in the frame.
    public mutating func decode(
        _ payload: ByteView, receivedAt: Int64, into batch: inout ScanBatch, rejections: inout [Rejection]
    ) throws(ProtocolError) -> UInt64 {
        var reader = ByteReader(payload)
        var number: UInt64 = 0
        var count = 0
        do throws(CorruptBytes) {
            number = try reader.varint()
            count = try reader.count(maximum: Int.max)
        } catch {
            throw ProtocolError(.malformedFrame, "batch header: \(error.message)")
        }
        guard count <= maximumScans else {
            throw ProtocolError(.limitExceeded, "batch \(number) holds \(count) scans; the limit is \(maximumScans)")
        }
        generation &+= 1
        if generation == 0 {
            // Wrapped after 2^32 frames: clear the stamps so that none from long ago matches.
            for entry in stamps.indices { stamps[entry] = 0 }
            generation = 1
        }
        var index = 0
        do throws(CorruptBytes) {
            var previousTime = try reader.zigzag()
            var previousSeq: UInt64 = 0
            var previousLatitude: Int64 = 0
            var previousLongitude: Int64 = 0
            var tracking = [UInt8](repeating: 0, count: 255)
            var trackingLength = 0
            while index < count {
                let flags = try reader.byte()
                let eventByte = try reader.byte()
                let shared = Int(try reader.byte())
                let suffixLength = Int(try reader.byte())
                guard shared <= trackingLength, shared + suffixLength <= 255 else {
                    throw CorruptBytes("a tracking id shares \(shared) bytes with one of \(trackingLength)")
                }
                let suffix = try reader.slice(suffixLength)
                tracking.withMutableByteView { $0.copy(suffix, to: shared) }
                trackingLength = shared + suffixLength
                previousTime &+= try reader.zigzag()
                let messenger = try reference(&reader)
                let center = try reference(&reader)
                let device = try reference(&reader)
                previousSeq = previousSeq &+ UInt64(bitPattern: try reader.zigzag()) &+ 1
                let reason = flags & 1 != 0 ? try reference(&reader) : -1
                var location: (Int32, Int32)? = nil
                if flags & 2 != 0 {
                    previousLatitude &+= try reader.zigzag()
                    previousLongitude &+= try reader.zigzag()
                    guard let latitude = Int32(exactly: previousLatitude), let longitude = Int32(exactly: previousLongitude) else {
                        rejections.append(Rejection(index: index, field: .latitude, message: "is outside ±90 degrees"))
                        index += 1
                        continue
                    }
                    location = (latitude, longitude)
                }
                guard let event = Event(rawValue: eventByte) else {
                    rejections.append(Rejection(index: index, field: .event, message: "event code \(eventByte) is not one of 0…6"))
                    index += 1
                    continue
                }
                // Strings longer than any identifier may be cannot be held inline: reject them with the validator's words.
                guard trackingLength <= InlineBytes.capacity else {
                    rejections.append(
                        Rejection(index: index, field: .trackingID, message: "is \(trackingLength) bytes long; the limit is \(validator.limits.trackingIDBytes)"))
                    index += 1
                    continue
                }
                // Field by field rather than over an array of (entry, field) pairs, which would allocate per scan.
                var tooLong: ScanField? = nil
                if dictionary[messenger] == nil {
                    tooLong = .messenger
                } else if dictionary[center] == nil {
                    tooLong = .workCenter
                } else if dictionary[device] == nil {
                    tooLong = .device
                } else if reason >= 0 && dictionary[reason] == nil {
                    tooLong = .reason
                }
                if let tooLong {
                    rejections.append(
                        Rejection(index: index, field: tooLong, message: "is longer than \(validator.limits.identifierBytes) bytes"))
                    index += 1
                    continue
                }
                let trackingID = tracking.withByteView { InlineBytes($0.prefix(upTo: trackingLength)) }
                do throws(ScanValidator.Problem) {
                    try validator.append(
                        typed: ScanValidator.TypedFields(
                            trackingID: trackingID, event: event, scannedAt: previousTime,
                            messenger: stored(messenger, in: &batch), workCenter: stored(center, in: &batch),
                            device: stored(device, in: &batch), seq: previousSeq,
                            reason: reason >= 0 ? dictionary[reason]! : nil, location: location),
                        receivedAt: receivedAt, source: UInt32(index), to: &batch)
                } catch {
                    rejections.append(Rejection(index: index, field: error.field, message: error.message))
                }
                index += 1
            }
            guard reader.isAtEnd else { throw CorruptBytes("\(reader.remaining) bytes after the last scan") }
        } catch {
            throw ProtocolError(.malformedFrame, "batch \(number), scan \(index): \(error.message)")
        }
        return number
    }

    mutating func reference(_ reader: inout ByteReader) throws(CorruptBytes) -> Int {
        let index = try reader.count(maximum: dictionary.count)
        if index < dictionary.count { return index }
        guard dictionary.count < ConnectionDictionary.capacity else {
            throw CorruptBytes("the connection defines more than \(ConnectionDictionary.capacity) strings")
        }
        let length = Int(try reader.byte())
        let bytes = try reader.slice(length)
        // Entries longer than an identifier may be are kept as a marker: the scans that use them are rejected.
        dictionary.append(length <= InlineBytes.capacity ? InlineBytes(bytes) : nil)
        problems.append(validator.identifierProblem(bytes))
        spans.append(.empty)
        stamps.append(0)
        return index
    }

    /// Entry `index` as a checked identifier whose bytes are in `batch`: copied there on its first use in this frame.
    @inline(__always)
    mutating func stored(_ index: Int, in batch: inout ScanBatch) -> ScanValidator.CheckedIdentifier {
        if stamps[index] != generation {
            stamps[index] = generation
            spans[index] = dictionary[index]!.withBytes { batch.store($0) }
        }
        return ScanValidator.CheckedIdentifier(span: spans[index], problem: problems[index])
    }
}
