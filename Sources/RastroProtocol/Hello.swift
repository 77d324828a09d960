import RastroCore
import RastroPrimitives

/// The first frame of a connection (client → server), docs/protocol.md §3.1:
///
/// ```
/// magic "RSTR" (4) | version: u8 | session: u64 BE | tokenLength: u16 BE | token | clientLength: u8 | client
/// ```
/// `session` is chosen by the client and kept across reconnections: with the batch number it identifies a batch, so
/// a batch resent after a lost acknowledgement gets the same answer again.
public struct Hello: Sendable, Equatable {
    public static let magic: [UInt8] = Array("RSTR".utf8)
    public static var currentVersion: UInt8 { 1 }

    public var version: UInt8
    public var session: UInt64
    public var token: String
    public var client: String

    public init(version: UInt8 = Hello.currentVersion, session: UInt64, token: String, client: String) {
        self.version = version
        self.session = session
        self.token = token
        self.client = client
    }

    public func encode() -> [UInt8] {
        let writer = ByteWriter(reservingCapacity: 96)
        writer.append(Self.magic)
        writer.byte(version)
        writer.uint32BigEndian(UInt32(truncatingIfNeeded: session >> 32))
        writer.uint32BigEndian(UInt32(truncatingIfNeeded: session))
        let token = Array(self.token.utf8)
        writer.byte(UInt8(token.count >> 8))
        writer.byte(UInt8(token.count & 0xFF))
        writer.append(token)
        let client = Array(self.client.utf8.prefix(255))
        writer.byte(UInt8(client.count))
        writer.append(client)
        return writer.bytes
    }

    /// Decodes a hello; a wrong magic or version is reported before anything else is read.
    public static func decode(_ payload: ByteView) throws(ProtocolError) -> Hello {
        guard payload.count >= 5, Array(payload.prefix(4)) == magic else {
            throw ProtocolError(.notRastro, "the first frame must start with \"RSTR\"")
        }
        guard payload[4] == currentVersion else {
            throw ProtocolError(.unsupportedVersion, "version \(payload[4]); this server speaks version \(currentVersion)")
        }
        var reader = ByteReader(payload.part(from: 5))
        do throws(CorruptBytes) {
            let high = UInt64(try reader.uint32BigEndian())
            let low = UInt64(try reader.uint32BigEndian())
            let tokenLength = Int(try reader.byte()) << 8 | Int(try reader.byte())
            let token = String(decoding: try reader.slice(tokenLength), as: UTF8.self)
            let client = String(decoding: try reader.slice(Int(try reader.byte())), as: UTF8.self)
            guard reader.isAtEnd else { throw CorruptBytes("\(reader.remaining) bytes after the client name") }
            return Hello(version: currentVersion, session: high << 32 | low, token: token, client: client)
        } catch {
            throw ProtocolError(.malformedFrame, "hello: \(error.message)")
        }
    }
}

/// The server's reply to a hello (server → client), docs/protocol.md §3.2:
/// `version: u8 | maxFrameBytes: u32 BE | maxScansPerBatch: u32 BE`.
public struct Welcome: Sendable, Equatable {
    public var version: UInt8
    public var maximumFrameBytes: Int
    public var maximumScansPerBatch: Int

    public init(version: UInt8 = Hello.currentVersion, maximumFrameBytes: Int, maximumScansPerBatch: Int) {
        self.version = version
        self.maximumFrameBytes = maximumFrameBytes
        self.maximumScansPerBatch = maximumScansPerBatch
    }

    public func encode() -> [UInt8] {
        let writer = ByteWriter(reservingCapacity: 9)
        writer.byte(version)
        writer.uint32BigEndian(UInt32(maximumFrameBytes))
        writer.uint32BigEndian(UInt32(maximumScansPerBatch))
        return writer.bytes
    }

    public static func decode(_ payload: ByteView) throws(ProtocolError) -> Welcome {
        var reader = ByteReader(payload)
        do throws(CorruptBytes) {
            let welcome = Welcome(
                version: try reader.byte(), maximumFrameBytes: Int(try reader.uint32BigEndian()),
                maximumScansPerBatch: Int(try reader.uint32BigEndian()))
            guard reader.isAtEnd else { throw CorruptBytes("trailing bytes") }
            return welcome
        } catch {
            throw ProtocolError(.malformedFrame, "welcome: \(error.message)")
        }
    }
}

/// The last frame of a refused or broken connection (server → client), docs/protocol.md §3.5:
/// `code: u16 BE | messageLength: u16 BE | message (UTF-8)`.
public enum ErrorFrame {
    public static func encode(_ error: ProtocolError) -> [UInt8] {
        let writer = ByteWriter(reservingCapacity: 64)
        writer.byte(UInt8(error.code.rawValue >> 8))
        writer.byte(UInt8(error.code.rawValue & 0xFF))
        let message = Array(error.message.utf8.prefix(65_535))
        writer.byte(UInt8(message.count >> 8))
        writer.byte(UInt8(message.count & 0xFF))
        writer.append(message)
        return writer.bytes
    }

    public static func decode(_ payload: ByteView) throws(ProtocolError) -> ProtocolError {
        var reader = ByteReader(payload)
        do throws(CorruptBytes) {
            let raw = UInt16(try reader.byte()) << 8 | UInt16(try reader.byte())
            let length = Int(try reader.byte()) << 8 | Int(try reader.byte())
            let message = String(decoding: try reader.slice(length), as: UTF8.self)
            return ProtocolError(ProtocolErrorCode(rawValue: raw) ?? .internalError, message)
        } catch {
            throw ProtocolError(.malformedFrame, "error frame: \(error.message)")
        }
    }
}
