import NIOSSL
import RastroCSV
import RastroCore

/// `rastro send`: streams CSV files to `rastrod` as handhelds would, over N connections, resending whatever was not
/// acknowledged after a dropped connection, until every row has an answer.
public struct SendClient: Sendable {
    public let configuration: SendConfiguration
    public let validator: ScanValidator

    public init(configuration: SendConfiguration, validator: ScanValidator) {
        self.configuration = configuration
        self.validator = validator
    }

    /// Sends everything; `progress` is called about five times a second with what is answered so far.
    public func run(progress: @escaping @Sendable (SendResult, Int) -> Void = { _, _ in }) async throws -> SendResult {
        let statistics = SendStatistics()
        let source = BatchSource(files: configuration.files, validator: validator, batchSize: configuration.batchSize, statistics: statistics)
        let started = monotonicSeconds()
        let tls: NIOSSLContext?
        do {
            tls = try configuration.tls.map { try $0.context() }
        } catch {
            throw SendFailure("cannot set up TLS: \(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.connections {
                group.addTask {
                    switch configuration.channel {
                    case .binary:
                        try await BinarySender(configuration: configuration, source: source, statistics: statistics, tls: tls).run()
                    case .csv:
                        try await CSVSender(configuration: configuration, source: source, statistics: statistics, tls: tls).run()
                    case .http:
                        try await HTTPSender(configuration: configuration, source: source, statistics: statistics, tls: tls).run()
                    }
                }
            }
            let reporter = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    progress(statistics.result, statistics.rowsSent)
                }
            }
            defer { reporter.cancel() }
            try await group.waitForAll()
        }
        var result = statistics.result
        result.seconds = monotonicSeconds() - started
        return result
    }
}
