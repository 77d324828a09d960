import RastroQueries
import ArgumentParser
import RastroClient
import RastroCore

/// `rastro send`: stream CSV files to rastrod, as handhelds would.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Stream CSV files to rastrod as a handheld would; also the load generator for benchmarks.",
        discussion: """
            Keeps every unacknowledged batch; after a dropped connection it reconnects with backoff and sends them \
            again (in binary the server answers a resent batch as it did the first time). Ends when every row has an \
            answer and prints the counts and the rate.
            """)

    @Argument(help: "CSV files to send.")
    var files: [String]

    @Option(name: .long, help: ArgumentHelp("Where rastrod listens.", valueName: "HOST:PORT"))
    var to: String

    @Option(name: .long, help: "An access token (rastro token create).")
    var token: String

    @Option(name: .customLong("protocol"), help: "binary, csv or http.")
    var channel: SendConfiguration.Channel = .binary

    @Option(name: .long, help: "Parallel connections.")
    var connections = 1

    @Option(name: .long, help: "Scans (rows) per batch.")
    var batchSize = 1_000

    @Option(name: .long, help: "Batches in flight per connection.")
    var window = 32

    @Option(name: .long, help: ArgumentHelp("Site time zone for timestamps without an offset.", valueName: "ZONE"))
    var timezone = SiteTimeZone.defaultIdentifier

    @Flag(name: .long, help: "Connect with TLS (rastrod --tls-cert), verifying the server's certificate.")
    var tls = false

    @Option(name: .long, help: ArgumentHelp("PEM CA certificates to verify the server with instead of the system's.", valueName: "FILE"))
    var ca: String?

    @Option(name: .long, help: ArgumentHelp("PEM client certificate, for a server that requires one.", valueName: "FILE"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "FILE"))
    var tlsKey: String?

    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    func validate() throws {
        guard let colon = to.lastIndex(of: ":"), Int(to[to.index(after: colon)...]) != nil else {
            throw ValidationError("--to must be HOST:PORT")
        }
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be 1…256") }
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1…100000") }
        guard (1...1_024).contains(window) else { throw ValidationError("--window must be 1…1024") }
        guard SiteTimeZone(identifier: timezone) != nil else { throw ValidationError("unknown time zone \(timezone)") }
        guard tls || (ca == nil && tlsCert == nil && tlsKey == nil) else {
            throw ValidationError("--ca, --tls-cert and --tls-key need --tls")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func run() async throws {
        let colon = to.lastIndex(of: ":")!
        var configuration = SendConfiguration(
            host: String(to[..<colon]), port: Int(to[to.index(after: colon)...])!, token: token, files: files)
        configuration.channel = channel
        configuration.connections = connections
        configuration.batchSize = batchSize
        configuration.window = window
        if tls { configuration.tls = ClientTLS(caFile: ca, certificate: tlsCert, key: tlsKey) }
        let client = SendClient(configuration: configuration, validator: ScanValidator(zone: SiteTimeZone(identifier: timezone)!))
        let showProgress = !quiet && Console.errorIsTerminal
        let started = monotonicSeconds()
        let result: SendResult
        do {
            result = try await client.run { result, sent in
                guard showProgress else { return }
                let elapsed = max(monotonicSeconds() - started, 1e-6)
                Console.error("\r\(sent) sent, \(result.rows) answered, \(Int(Double(result.rows) / elapsed)) rows/s, \(result.reconnections) reconnections\u{1B}[K")
            }
        } catch let failure as SendFailure {
            if showProgress { Console.error("\r\u{1B}[K") }
            throw ValidationError(failure.message)
        }
        if showProgress { Console.error("\r\u{1B}[K") }
        Console.out(
            "accepted \(result.accepted), duplicates \(result.duplicates), rejected \(result.rejected), "
                + "conflicts \(result.conflicts)\n")
        Console.out(
            "\(result.rows) rows in \(formatFixed(result.seconds, 2)) s: \(Int(Double(result.rows) / max(result.seconds, 1e-9))) rows/s "
                + "over \(connections) connection\(connections == 1 ? "" : "s") (\(channel.rawValue)), "
                + "\(result.reconnections) reconnection\(result.reconnections == 1 ? "" : "s")\n")
    }
}

extension SendConfiguration.Channel: ExpressibleByArgument {}
