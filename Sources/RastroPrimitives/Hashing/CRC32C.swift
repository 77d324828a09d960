/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), slicing-by-8: the checksum of every frame.
///
/// `CRC32C.checksum("123456789")` is `0xE3069283`, the standard check value.
///
/// Invariant: every table index is a byte (`& 0xFF`, `>> 24`) plus a multiple of 256 below 2,048, so the unchecked
/// reads of the table stay inside it.
public enum CRC32C {
    /// Eight 256-entry tables, flat: table `k` at offset `256 * k`.
    static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    /// The CRC-32C of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: ByteView, continuing crc: UInt32 = 0) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var value = ~crc
            var index = 0
            let count = bytes.count
            while index + 8 <= count {
                let low = UInt32(littleEndian: bytes.load(at: index, as: UInt32.self)) ^ value
                let high = UInt32(littleEndian: bytes.load(at: index + 4, as: UInt32.self))
                value = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                value = (value >> 8) ^ t[Int((value ^ UInt32(bytes[index])) & 0xFF)]
                index += 1
            }
            return ~value
        }
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withByteView { checksum($0) }
    }
}
