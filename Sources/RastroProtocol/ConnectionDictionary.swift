import RastroCore
import RastroPrimitives

/// The strings a connection has already sent (messengers, work centres, devices, reasons), by index.
///
/// Each side keeps one per connection: a string's first use carries its bytes and appends it; later uses carry only
/// its index. The dictionary dies with the connection; a client that reconnects starts a new one.
public struct ConnectionDictionary: Sendable {
    /// Most entries one connection may define.
    public static var capacity: Int { 65_536 }

    var indexes: [InlineBytes: Int] = [:]
    var entries: [InlineBytes] = []

    public init() {}

    public var count: Int { entries.count }
}
