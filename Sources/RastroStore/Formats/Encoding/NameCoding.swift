import RastroCore
import RastroPrimitives

/// How tracking ids are written one after another: front coding, or — when a name and its predecessor differ only
/// in a trailing number of the same width (`GU0001234567` after `GU0001234512`) — the difference of the numbers.
///
/// ```
/// front:   shared:u8 (≤ 40)  suffixLength:u8  suffix[suffixLength]
/// numeric: 0xFE  Δnumber:zigzag varint
/// ```
/// Waybill numbers are issued in sequence, so neighbouring items usually cost two or three bytes.
enum NameCoding {
    static var numericMarker: UInt8 { 0xFE }

    /// The start of a name's trailing digits and their value, when it ends in 1…18 digits.
    @inline(__always)
    static func trailingNumber(_ bytes: ByteView) -> (start: Int, value: UInt64)? {
        var start = bytes.count
        while start > 0 && bytes[start - 1] >= 48 && bytes[start - 1] <= 57 { start -= 1 }
        let digits = bytes.count - start
        guard digits >= 1 && digits <= 18 else { return nil }
        var value: UInt64 = 0
        for index in start..<bytes.count { value = value * 10 + UInt64(bytes[index] - 48) }
        return (start, value)
    }

    static func encode(_ name: InlineBytes, after previous: InlineBytes, into out: inout ByteAppender) {
        name.withBytes { current in
            previous.withBytes { before in
                if current.count == before.count, let now = trailingNumber(current), let then = trailingNumber(before),
                    now.start == then.start, current.prefix(upTo: now.start).equals(before.prefix(upTo: now.start))
                {
                    out.byte(numericMarker)
                    out.zigzag(Int64(bitPattern: now.value &- then.value))
                    return
                }
                var shared = 0
                let limit = min(current.count, before.count)
                while shared < limit && current[shared] == before[shared] { shared += 1 }
                out.byte(UInt8(shared))
                out.byte(UInt8(current.count - shared))
                out.append(current.part(from: shared))
            }
        }
    }

    /// The previous name while decoding a sequence.
    struct Previous {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var length = 0

        var name: InlineBytes {
            let length = self.length
            return withByteView(of: bytes) { InlineBytes($0.prefix(upTo: length)) }
        }
    }

    /// Reads the next name, updating `previous`.
    static func decode(_ reader: inout ByteReader, previous: inout Previous) throws(StoreCorruption) -> InlineBytes {
        let first = try reader.byte()
        if first == numericMarker {
            let delta = try reader.zigzag()
            let length = previous.length
            var failure: StoreCorruption? = nil
            withMutableByteView(of: &previous.bytes) { raw in
                let current = raw.view(0..<length)
                guard let (start, value) = trailingNumber(current) else {
                    failure = StoreCorruption("a numeric name delta follows a name without a number")
                    return
                }
                var next = value &+ UInt64(bitPattern: delta)
                let digits = length - start
                var limit: UInt64 = 1
                for _ in 0..<digits { limit *= 10 }
                guard next < limit else {
                    failure = StoreCorruption("a numeric name delta overflows \(digits) digits")
                    return
                }
                for index in stride(from: length - 1, through: start, by: -1) {
                    raw[index] = UInt8(48 + next % 10)
                    next /= 10
                }
            }
            if let failure { throw failure }
            return previous.name
        }
        let shared = Int(first)
        let suffixLength = Int(try reader.byte())
        guard shared <= previous.length, shared + suffixLength <= InlineBytes.capacity else {
            throw StoreCorruption("bad name encoding")
        }
        let suffix = try reader.slice(suffixLength)
        withMutableByteView(of: &previous.bytes) { $0.copy(suffix, to: shared) }
        previous.length = shared + suffixLength
        return previous.name
    }
}
