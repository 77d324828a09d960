import RastroPrimitives

/// Latitude and longitude, kept as integers of 1e-7 degree (about 1 cm): exact to store, compare and print back.
public enum Coordinate {
    /// Units per degree.
    @inlinable public static var unitsPerDegree: Int64 { 10_000_000 }

    /// Parses decimal degrees (`-74.0712345`) within ±`limitDegrees`; digits beyond the seventh decimal are dropped.
    ///
    /// The fraction's digits are accumulated as an integer and scaled once at the end: each digit is one
    /// multiply-add on a short dependency chain, where a place value divided by ten per digit would make a chain of
    /// divisions.
    @inlinable
    public static func parse(_ bytes: ByteView, limitDegrees: Int64) throws(FieldProblem) -> Int32 {
        let count = bytes.count
        guard count > 0 else { throw notDegrees(bytes) }
        @inline(__always) func digit(at index: Int) -> Int64? {
            let value = Int64(bytes[index]) &- 48
            return value >= 0 && value <= 9 ? value : nil
        }
        var index = 0
        let first = bytes[0]
        let negative = first == UInt8(ascii: "-")
        if negative || first == UInt8(ascii: "+") { index = 1 }
        var whole: Int64 = 0
        let wholeStart = index
        while index < count, let value = digit(at: index) {
            whole = whole &* 10 &+ value
            index += 1
            if index - wholeStart > 3 { throw notDegrees(bytes) }
        }
        let wholeDigits = index - wholeStart
        var fraction: Int64 = 0
        var fractionDigits = 0
        if index < count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, let value = digit(at: index) {
                if fractionDigits < 7 { fraction = fraction &* 10 &+ value }
                fractionDigits += 1
                index += 1
            }
        }
        guard index == count, wholeDigits + fractionDigits > 0 else { throw notDegrees(bytes) }
        var kept = min(fractionDigits, 7)
        while kept < 7 {
            fraction &*= 10
            kept += 1
        }
        let magnitude = whole * unitsPerDegree + fraction
        guard magnitude <= limitDegrees * unitsPerDegree else {
            throw FieldProblem("\(String(decoding: bytes, as: UTF8.self)) is outside ±\(limitDegrees) degrees")
        }
        return Int32(negative ? -magnitude : magnitude)
    }

    @usableFromInline
    static func notDegrees(_ bytes: ByteView) -> FieldProblem {
        FieldProblem("'\(String(decoding: bytes.prefix(40), as: UTF8.self))' is not a number of degrees")
    }

    /// Appends decimal degrees with the trailing zeros of the fraction removed (`4.71`, `-74.0712345`, `0`).
    public static func append(_ units: Int32, to output: inout [UInt8]) {
        var value = Int64(units)
        if value < 0 {
            output.append(UInt8(ascii: "-"))
            value = -value
        }
        output.append(contentsOf: String(value / unitsPerDegree).utf8)
        var fraction = value % unitsPerDegree
        guard fraction != 0 else { return }
        var digits = 7
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        output.append(UInt8(ascii: "."))
        let text = String(fraction)
        for _ in 0..<(digits - text.count) { output.append(UInt8(ascii: "0")) }
        output.append(contentsOf: text.utf8)
    }

    /// The same as ``append(_:to:)``, as a `String`.
    public static func format(_ units: Int32) -> String {
        var output: [UInt8] = []
        append(units, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}

/// Unsigned decimal numbers, on bytes.
public enum Decimal64 {
    /// Parses an unsigned 64-bit decimal number without sign, spaces or leading `+`.
    @inlinable
    public static func parse(_ bytes: ByteView) throws(FieldProblem) -> UInt64 {
        guard !bytes.isEmpty else { throw FieldProblem("is empty") }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = UInt64(byte) &- 48
            guard digit <= 9 else {
                throw FieldProblem(
                    "'\(String(decoding: bytes.prefix(40), as: UTF8.self))' is not an unsigned integer")
            }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            guard !overflow1 && !overflow2 else {
                throw FieldProblem("\(String(decoding: bytes, as: UTF8.self)) does not fit in 64 bits")
            }
            value = sum
        }
        return value
    }
}
