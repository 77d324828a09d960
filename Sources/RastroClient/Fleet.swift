#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Histogram
import NIOCore
import NIOPosix
import RastroCSV
import RastroCore
import RastroPrimitives
import RastroProtocol
import Synchronization

/// What a handheld of the fleet scans, but for its device and sequence number, which are each handheld's own.
public struct FleetScan: Sendable {
    var trackingID: [UInt8]
    var messenger: [UInt8]
    var workCenter: [UInt8]
    var reason: [UInt8]
    var scannedAt: Int64
    var latitude: Int32
    var longitude: Int32
    var hasLocation: Bool
    var event: Event
}

/// `rastro fleet`: many handhelds at once, each on its own binary connection, sending a small batch every few seconds.
public struct FleetConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// A gateway token: every handheld sends under it, with its own device id (``devicePrefix`` and its number).
    public var token: String
    /// Device ids are this and the handheld's number. Each run gets its own, so that a second run on the same
    /// server sends new scans rather than resends of the first run's sequence numbers.
    public var devicePrefix = "FLEET-" + String(UInt32.random(in: 0...UInt32.max), radix: 16, uppercase: true) + "-"
    public var handhelds = 100
    /// Scans per batch.
    public var batch = 20
    /// Seconds between a handheld's batches, on average: each wait is drawn within ±``jitter`` of it, and each
    /// handheld starts at a random point of its first period, so that the fleet's batches spread evenly.
    public var everySeconds = 2.0
    public var jitter = 0.2
    /// How long the fleet sends, from the first connection.
    public var seconds = 30.0
    /// Batches each handheld sends at most, or `nil` for as many as fit in ``seconds``: a run bounded by work, not
    /// by time, sends exactly `handhelds × batchesPerHandheld` batches however slowly it is scheduled.
    public var batchesPerHandheld: Int? = nil

    public init(host: String, port: Int, token: String) {
        self.host = host
        self.port = port
        self.token = token
    }
}

/// What a fleet run measured: acknowledgements and their latency (from a batch's last byte written to its ack read),
/// errors, and the generator's own CPU, which says how much headroom it had.
public struct FleetReport: Sendable {
    public var handhelds = 0
    /// Handhelds whose connection was welcomed at least once.
    public var connected = 0
    public var batches = 0
    public var accepted = 0
    public var duplicates = 0
    public var conflicts = 0
    public var rejected = 0
    /// Connections that failed or broke (each handheld then connects again).
    public var errors = 0
    public var seconds = 0.0
    /// CPU time the generator's process used (user + system) during the run.
    public var cpuSeconds = 0.0
    /// Ack latency in microseconds.
    public var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    public var scans: Int { accepted + duplicates + conflicts + rejected }

    /// Milliseconds at `percentile` (0–100) of the ack latencies.
    public func milliseconds(_ percentile: Double) -> Double {
        Double(latency.valueAtPercentile(percentile)) / 1_000
    }

    /// The run in one line, as `rastro send` ends: `2000 handhelds: 19874 scans/s, ack p50 4.1 ms, p99 21.7 ms, max
    /// 48.0 ms, 0 errors`.
    public var summary: String {
        let rate = seconds > 0 ? Int(Double(scans) / seconds) : 0
        return "\(handhelds) handhelds: \(rate) scans/s, ack p50 \(Self.format(milliseconds(50))) ms, p99 "
            + "\(Self.format(milliseconds(99))) ms, max \(Self.format(Double(latency.maxRecorded) / 1_000)) ms, \(errors) errors"
    }

    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

public enum Fleet {
    /// The scans handhelds take their content from: valid rows of a CSV stream (`rastro generate`'s), parsed once.
    public static func pool(rows: [String], validator: ScanValidator) -> [FleetScan] {
        var batch = ScanBatch()
        var rejects: [CSVRejection] = []
        let text = Array((["tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon"] + rows).joined(separator: "\n").utf8)
            + [UInt8(ascii: "\n")]
        let reader = CSVScanReader(validator: validator)
        _ = try? text.withByteView { bytes in
            try reader.read(
                bytes, isFinal: true, receivedAt: SystemClock.wallMilliseconds, maximumScans: .max, maximumRejects: .max,
                into: &batch, rejects: &rejects)
        }
        return batch.scans.map { scan in
            FleetScan(
                trackingID: Array(batch.string(scan.trackingID).utf8), messenger: Array(batch.string(scan.messenger).utf8),
                workCenter: Array(batch.string(scan.workCenter).utf8), reason: Array(batch.string(scan.reason).utf8),
                scannedAt: scan.scannedAt, latitude: scan.latitude, longitude: scan.longitude, hasLocation: scan.hasLocation,
                event: scan.event)
        }
    }

    /// Runs the fleet for ``FleetConfiguration/seconds`` and reports what it measured.
    public static func run(_ configuration: FleetConfiguration, pool: [FleetScan]) async -> FleetReport {
        precondition(!pool.isEmpty, "a fleet needs scans to send")
        let shared = FleetTally()
        let started = SystemClock.monotonicSeconds
        let cpuBefore = processCPUSeconds()
        let deadline = started + configuration.seconds
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<configuration.handhelds {
                group.addTask {
                    await Handheld(index: index, configuration: configuration, pool: pool, shared: shared).run(until: deadline)
                }
            }
        }
        var report = shared.report.withLock { $0 }
        report.handhelds = configuration.handhelds
        report.seconds = SystemClock.monotonicSeconds - started
        report.cpuSeconds = processCPUSeconds() - cpuBefore
        return report
    }

    /// User and system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
    }
}

/// What every handheld of a run adds to, under one lock: at a few thousand acknowledgements a second, waiting for it
/// costs nothing the latencies would show.
final class FleetTally: Sendable {
    let report = Mutex(FleetReport())
}

/// One handheld: connects, sends a batch of its own scans each period and waits for its acknowledgement; after an
/// error it connects again after a short pause.
struct Handheld {
    let index: Int
    let configuration: FleetConfiguration
    let pool: [FleetScan]
    let shared: FleetTally
    let device: [UInt8]
    /// Appended to the pool's tracking ids: each handheld scans items of its own, as a messenger's round does, so
    /// that handhelds walking the same stretch of the pool do not pile scans onto the same items.
    let itemSuffix: [UInt8]
    let session = UInt64.random(in: 1...UInt64.max)

    init(index: Int, configuration: FleetConfiguration, pool: [FleetScan], shared: FleetTally) {
        self.index = index
        self.configuration = configuration
        self.pool = pool
        self.shared = shared
        device = Array("\(configuration.devicePrefix)\(index)".utf8)
        itemSuffix = Array("-\(String(index, radix: 36, uppercase: true))".utf8)
    }

    func run(until deadline: Double) async {
        var seq: UInt64 = 1
        var number: UInt64 = 1
        var position = (index &* 7_919) % pool.count
        var next = SystemClock.monotonicSeconds + Double.random(in: 0..<configuration.everySeconds)
        var welcomed = false
        while next < deadline && !isDone(number) {
            do {
                try await connection(deadline: deadline, next: &next, seq: &seq, number: &number, position: &position) {
                    if !welcomed {
                        welcomed = true
                        shared.report.withLock { $0.connected += 1 }
                    }
                }
            } catch {
                shared.report.withLock { $0.errors += 1 }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func connection(
        deadline: Double, next: inout Double, seq: inout UInt64, number: inout UInt64, position: inout Int,
        welcomed: () -> Void
    ) async throws {
        try await Self.sleep(until: min(next, deadline))
        guard next < deadline, !isDone(number) else { return }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        try await channel.executeThenClose { inbound, outbound in
            var frames = FrameReader(inbound.makeAsyncIterator(), maximumBytes: 1 << 20)
            let hello = Hello(session: session, token: configuration.token, client: "rastro fleet").encode()
            try await outbound.write(ByteBuffer(bytes: Frame.encode(.hello, payload: hello)))
            let (type, payload) = try await frames.next() ?? { throw BinarySender.Dropped() }()
            if type == .error { throw SendFailure("refused: \(try payload.withByteView { try ErrorFrame.decode($0) })") }
            guard type == .welcome else { throw SendFailure("expected a welcome, got \(type)") }
            welcomed()
            var encoder = BatchEncoder()
            let writer = ByteWriter(reservingCapacity: 4 << 10)
            while next < deadline && !isDone(number) {
                try await Self.sleep(until: next)
                let batch = makeBatch(seq: &seq, position: &position)
                writer.removeAll()
                let payload = ByteWriter(reservingCapacity: batch.count * 48)
                encoder.encode(batch, 0..<batch.count, number: number, into: payload)
                payload.withBytes { Frame.append(.batch, payload: $0, to: writer) }
                number += 1
                let sent = SystemClock.monotonicSeconds
                try await outbound.write(writer.withBytes { ByteBuffer(bytes: $0) })
                guard let (type, payload) = try await frames.next() else { throw BinarySender.Dropped() }
                let microseconds = UInt64(max(0, (SystemClock.monotonicSeconds - sent) * 1_000_000))
                guard type == .ack else {
                    throw SendFailure("expected an ack, got \(type)")
                }
                let ack = try payload.withByteView { try Ack.decode($0) }
                shared.report.withLock { report in
                    report.batches += 1
                    report.accepted += ack.accepted
                    report.duplicates += ack.duplicates
                    report.conflicts += ack.conflicts
                    report.rejected += ack.rejected
                    _ = report.latency.record(microseconds)
                }
                let period = configuration.everySeconds
                next += period * Double.random(in: (1 - configuration.jitter)...(1 + configuration.jitter))
            }
        }
    }

    /// Whether the handheld has sent its ``FleetConfiguration/batchesPerHandheld`` (batch numbers start at 1).
    private func isDone(_ number: UInt64) -> Bool {
        configuration.batchesPerHandheld.map { number > UInt64($0) } ?? false
    }

    /// The next batch: the pool's scans from `position` on, under this handheld's device and its next sequence
    /// numbers.
    private func makeBatch(seq: inout UInt64, position: inout Int) -> ScanBatch {
        var batch = ScanBatch(reservingScans: configuration.batch)
        let receivedAt = SystemClock.wallMilliseconds
        var trackingID: [UInt8] = []
        for _ in 0..<configuration.batch {
            let scan = pool[position]
            position = (position + 1) % pool.count
            trackingID.removeAll(keepingCapacity: true)
            trackingID += scan.trackingID
            trackingID += itemSuffix
            let (tracking, messenger, center, device) = trackingID.withByteView { tracking in
                scan.messenger.withByteView { messenger in
                    scan.workCenter.withByteView { center in
                        self.device.withByteView { device in batch.store(tracking, messenger, center, device) }
                    }
                }
            }
            let reason = scan.reason.isEmpty ? ByteSpan.empty : scan.reason.withByteView { batch.store($0) }
            batch.scans.append(
                Scan(
                    trackingID: tracking, messenger: messenger, workCenter: center, device: device, reason: reason,
                    scannedAt: scan.scannedAt, receivedAt: receivedAt, seq: seq, latitude: scan.latitude,
                    longitude: scan.longitude, event: scan.event, hasLocation: scan.hasLocation, source: UInt32(batch.scans.count)))
            seq += 1
        }
        return batch
    }

    static func sleep(until instant: Double) async throws {
        let wait = instant - SystemClock.monotonicSeconds
        if wait > 0 { try await Task.sleep(for: .microseconds(Int64(wait * 1_000_000))) }
    }
}
