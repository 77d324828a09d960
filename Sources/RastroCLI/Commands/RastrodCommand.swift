import ArgumentParser
import Logging
import RastroQueries
import RastroServer

/// `rastrod`: the ingest server.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct Rastrod: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rastrod",
        abstract: "The Rastro ingest server: binary frames, CSV lines and HTTP, acknowledged only once durable.",
        discussion: """
            SIGTERM or SIGINT stops accepting connections, lets every connection finish what it sent and receive its \
            acknowledgements, commits what is queued and closes the store.
            """)

    @OptionGroup var dataOptions: DataOptions
    @Option(name: .long, help: "Address to listen on.") var host = "127.0.0.1"
    @Option(name: .long, help: "Binary protocol port (0: any free port).") var binaryPort = 7400
    @Option(name: .long, help: "CSV line protocol port.") var csvPort = 7401
    @Option(name: .long, help: "HTTP port.") var httpPort = 7480
    @Option(name: .long, help: "Largest binary frame, in bytes.") var frameBytes = ServerLimits().frameBytes
    @Option(name: .long, help: "Longest CSV record or AUTH line, in bytes.") var lineBytes = ServerLimits().lineBytes
    @Option(name: .long, help: "Most scans per batch.") var batchScans = ServerLimits().scansPerBatch
    @Option(name: .long, help: "Most open connections.") var maxConnections = ServerLimits().connections
    @Option(name: .long, help: "Close connections idle this long, in seconds.") var idleTimeout = ServerLimits().idleTimeoutSeconds
    @Option(name: .long, help: "Most open connections from one address.")
    var maxConnectionsPerAddress = ServerLimits().connectionsPerAddress
    @Option(name: .long, help: "Most connections from one address that have not authenticated yet.")
    var maxUnauthenticatedPerAddress = ServerLimits().unauthenticatedPerAddress
    @Option(name: .long, help: "Seconds a new connection has to send its hello or AUTH line.")
    var helloTimeout = ServerLimits().helloTimeoutSeconds
    @Option(name: .long, help: "Seconds a frame, CSV record or HTTP request that has started has to arrive whole.")
    var requestTimeout = ServerLimits().requestSeconds
    @Option(name: .long, help: "Unread answer bytes above which a connection stops being read.")
    var unsentAnswerBytes = ServerLimits().unsentAnswerBytes
    @Option(name: .long, help: "Failed authentications per minute from one address before it is refused outright.")
    var failedAuthPerMinute = ServerLimits().failedAuthenticationsPerMinute
    @Option(name: .long, help: "Most scans per commit.") var commitScans = ServerLimits().commitScans
    @Option(name: .long, help: "Longest wait for company before a commit, in milliseconds.") var commitWindow = ServerLimits().commitWindowMilliseconds
    @Option(name: .long, help: "Unacknowledged batches a connection may have before it stops being read.")
    var batchesInFlight = ServerLimits().batchesInFlight
    @Option(name: .long, help: "Scans queued for the writer above which every connection stops being read.")
    var queuedScans = ServerLimits().queuedScans
    @Option(name: .long, help: "Largest HTTP request body, in bytes.") var bodyBytes = ServerLimits().httpBodyBytes
    @Option(name: .long, help: "Hours the answers of committed batches are kept for resends.") var replayHours = ServerLimits().replayHours
    @Option(name: .long, help: "PEM certificate (chain) to serve TLS with on all three ports; SIGHUP reloads it.")
    var tlsCert: String?
    @Option(name: .long, help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(name: .long, help: "PEM CA certificates that sign client certificates: every client must present one.")
    var tlsClientCa: String?
    @Option(name: .long, help: ArgumentHelp("Take backups into chains in DIR: one on start, then every --backup-every.", valueName: "DIR"))
    var backupDir: String?
    @Option(name: .long, help: ArgumentHelp("Encrypt the scheduled backups with this key (rastro backup keygen).", valueName: "KEYFILE"))
    var backupKey: String?
    @Option(name: .long, help: "Time between scheduled backups (90m, 1h, 1d).") var backupEvery = "1h"
    @Option(name: .long, help: "Scheduled backups kept at least; older chains are removed whole.") var backupKeep = 48
    @Option(name: .long, help: "Backups per chain: each chain starts with a full backup.") var backupFullEvery = 24
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Import every *.csv renamed into DIR, one at a time in name order, into DIR/done/ (with NAME.result.json "
                + "and NAME.rejects.csv) or DIR/failed/ (with NAME.reason.txt).", valueName: "DIR"))
    var inbox: String?
    @Option(name: .long, help: "Seconds between looks at an empty --inbox.") var inboxPoll = 1
    @Option(name: .long, help: "Scans per batch of an --inbox file.") var inboxBatchScans = ServerLimits().inboxBatchScans
    @Option(name: .long, help: "Read API requests per second per token, on average.") var readsPerSecond = ServerLimits().readsPerSecond
    @Option(name: .long, help: "Read API requests a token may make at once above its rate.") var readBurst = ServerLimits().readBurst
    @Option(name: .long, help: "Read API requests answered at once; more are refused (503).") var concurrentReads = ServerLimits().concurrentReads
    @Option(name: .long, help: "Exports streamed at once (of --concurrent-reads); more are refused (503).")
    var concurrentExports = ServerLimits().concurrentExports
    @Option(name: .long, help: "Longest from–to window of a read API request, in days.") var queryDays = ServerLimits().queryDays
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"
    @Flag(name: .long, help: "At shutdown, print where the writer's time went, per step and per scan (profiling).")
    var phases = false

    public init() {}

    public func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        for (name, value) in [("--frame-bytes", frameBytes), ("--line-bytes", lineBytes), ("--batch-scans", batchScans),
            ("--max-connections", maxConnections), ("--idle-timeout", idleTimeout), ("--commit-scans", commitScans),
            ("--batches-in-flight", batchesInFlight), ("--queued-scans", queuedScans), ("--body-bytes", bodyBytes),
            ("--replay-hours", replayHours), ("--max-connections-per-address", maxConnectionsPerAddress),
            ("--max-unauthenticated-per-address", maxUnauthenticatedPerAddress), ("--hello-timeout", helloTimeout),
            ("--request-timeout", requestTimeout), ("--unsent-answer-bytes", unsentAnswerBytes),
            ("--failed-auth-per-minute", failedAuthPerMinute), ("--reads-per-second", readsPerSecond), ("--read-burst", readBurst),
            ("--concurrent-reads", concurrentReads), ("--concurrent-exports", concurrentExports), ("--query-days", queryDays),
            ("--inbox-poll", inboxPoll), ("--inbox-batch-scans", inboxBatchScans)]
        where value <= 0 {
            throw ValidationError("\(name) must be positive")
        }
        guard commitWindow >= 0 else { throw ValidationError("--commit-window must not be negative") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard tlsClientCa == nil || tlsCert != nil else { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        guard backupKey == nil || backupDir != nil else { throw ValidationError("--backup-key needs --backup-dir") }
        let every: Int64
        do { every = try parseDuration(backupEvery) } catch { throw ValidationError("--backup-every: \(error)") }
        guard every >= 1_000 else { throw ValidationError("--backup-every: at least 1s") }
        guard backupKeep >= 1, backupFullEvery >= 1 else { throw ValidationError("--backup-keep and --backup-full-every must be positive") }
    }

    public func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = ServerConfiguration(dataDirectory: dataOptions.directory)
        configuration.host = host
        configuration.binaryPort = binaryPort
        configuration.csvPort = csvPort
        configuration.httpPort = httpPort
        configuration.limits.frameBytes = frameBytes
        configuration.limits.lineBytes = lineBytes
        configuration.limits.scansPerBatch = batchScans
        configuration.limits.connections = maxConnections
        configuration.limits.idleTimeoutSeconds = idleTimeout
        configuration.limits.commitScans = commitScans
        configuration.limits.commitWindowMilliseconds = commitWindow
        configuration.limits.batchesInFlight = batchesInFlight
        configuration.limits.queuedScans = queuedScans
        configuration.limits.httpBodyBytes = bodyBytes
        configuration.limits.replayHours = replayHours
        if let tlsCert, let tlsKey {
            configuration.tls = TLSFiles(certificate: tlsCert, key: tlsKey, clientCA: tlsClientCa)
        }
        if let backupDir {
            var schedule = BackupSchedule(directory: backupDir, keyFile: backupKey)
            schedule.everySeconds = Int((try? parseDuration(backupEvery)) ?? 3_600_000) / 1_000
            schedule.keep = backupKeep
            schedule.fullEvery = backupFullEvery
            configuration.backup = schedule
        }
        if let inbox {
            var settings = InboxSettings(directory: inbox)
            settings.pollSeconds = inboxPoll
            configuration.inbox = settings
        }
        configuration.limits.inboxBatchScans = inboxBatchScans
        configuration.limits.connectionsPerAddress = maxConnectionsPerAddress
        configuration.limits.unauthenticatedPerAddress = maxUnauthenticatedPerAddress
        configuration.limits.helloTimeoutSeconds = helloTimeout
        configuration.limits.requestSeconds = requestTimeout
        configuration.limits.unsentAnswerBytes = unsentAnswerBytes
        configuration.limits.failedAuthenticationsPerMinute = failedAuthPerMinute
        configuration.limits.readsPerSecond = readsPerSecond
        configuration.limits.readBurst = readBurst
        configuration.limits.concurrentReads = concurrentReads
        configuration.limits.concurrentExports = concurrentExports
        configuration.limits.queryDays = queryDays
        let server = try RastroServer(configuration: configuration, logger: Logger(label: "rastrod"))
        try await server.run()
        if phases { Console.error(phasesReport(server.store, rows: server.store.phases.scans)) }
    }
}
