/// Every bound Rastro enforces, in one place.
///
/// Each bound is checked at the edge where data enters (the CSV reader, the wire decoder, the writer), and a
/// violation is reported against the record or connection that caused it, never against its neighbours.
public struct Limits: Sendable, Equatable {
    /// Longest tracking id, in bytes.
    public var trackingIDBytes = 40
    /// Longest messenger, work centre, device or reason code, in bytes.
    public var identifierBytes = 32
    /// Longest CSV record (a physical line, or several when a quoted field holds newlines), in bytes.
    public var csvRecordBytes = 4_096
    /// Scans per durable commit of a bulk import. A commit rewrites each trace block it touches once, so bigger
    /// commits rewrite less per scan; much bigger ones hold more memory and let the parser and the writer overlap
    /// less (docs/performance.md §8). The server's group commits have their own bound (`ServerLimits.commitScans`).
    public var scansPerCommit = 500_000
    /// Most scans one item may accumulate; a guard against a tag scanned in a loop.
    public var scansPerItem = 10_000
    /// How far into the future of its receive time a scan may be dated before it is rejected as a clock error.
    public var clockSkewAheadMilliseconds: Int64 = 24 * 3_600_000
    /// The LMDB map size a store opens with. The map is address space, not disk (the file grows only as pages are
    /// written), so the whole maximum is reserved up front: growing it needs every transaction of the process closed,
    /// which a server answering reads all day would have to wait for (or, with reads always in flight, never get).
    /// Smaller values make the map double on demand (docs/storage.md §2).
    public var initialMapBytes = 1 << 40
    /// The map never grows beyond this.
    public var maximumMapBytes = 1 << 40
    /// Entries of the writer's tracking-id cache (about 64 bytes each); bounds the writer's memory.
    public var itemCacheEntries = 1 << 18
    /// Decoded trace blocks the writer keeps between commits (each ~80 KB decoded: 256 items' scans); bounds the
    /// writer's memory to about 80 MB with the default, which covers the hot window of 512 blocks.
    public var blockCacheEntries = 1_024

    public init() {}

    /// The defaults.
    public static let `default` = Limits()

    /// The scheduling priority (nice) of threads that only answer questions — the HTTP API's report threads, an
    /// export's thread, the readers' decoding helper — so that when reports and ingest want the same cores, ingest
    /// gets them: at nice 19 a thread weighs about a seventieth of the writer's under Linux's scheduler. With no
    /// ingest running it changes nothing.
    public static let readerNice: Int32 = 19
}
