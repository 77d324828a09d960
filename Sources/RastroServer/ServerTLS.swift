import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The certificate files `rastrod` serves TLS with on all three ports.
public struct TLSFiles: Sendable, Equatable {
    /// PEM: the server's certificate, then any intermediates.
    public var certificate: String
    /// PEM: the certificate's private key.
    public var key: String
    /// PEM: the CAs that sign client certificates; when set, every client must present one (mutual TLS).
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }
}

/// The TLS context new connections are served with, reloaded from its files on SIGHUP: a connection keeps the
/// context it started with, the next one gets the new certificate, and a reload that fails keeps the old one.
final class ServerTLS: Sendable {
    let files: TLSFiles
    private let context: Mutex<NIOSSLContext>

    init(files: TLSFiles) throws {
        self.files = files
        context = Mutex(try Self.load(files))
    }

    /// The context for a connection starting now.
    var current: NIOSSLContext { context.withLock { $0 } }

    /// Reads the files again; throws (and keeps serving the old certificate) when they do not load.
    func reload() throws {
        let loaded = try Self.load(files)
        context.withLock { $0 = loaded }
    }

    static func load(_ files: TLSFiles) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { NIOSSLCertificateSource.certificate($0) }
        guard !chain.isEmpty else { throw TLSFileError("\(files.certificate) holds no PEM certificate") }
        let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA = files.clientCA {
            configuration.trustRoots = .file(clientCA)
            configuration.certificateVerification = .noHostnameVerification
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Puts TLS first in a binary or CSV connection's pipeline.
    func addHandler(to channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: current))
    }
}

struct TLSFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Reloads the certificate on every SIGHUP until shutdown.
struct TLSReloadService: Service {
    let tls: ServerTLS
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                do {
                    try tls.reload()
                    logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.files.certificate)"])
                } catch {
                    logger.error("TLS certificate not reloaded; still serving the previous one", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {}
    }
}

/// Hummingbird's HTTP/1 channel behind TLS from ``ServerTLS``, so that the HTTP port serves the certificate a reload
/// installed (Hummingbird's own TLS channel fixes its context when the server starts).
struct ReloadableTLSChannel<Base: ServerChildChannel & HTTPChannelHandler>: ServerChildChannel, HTTPChannelHandler {
    typealias Value = Base.Value
    let base: Base
    let tls: ServerTLS

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try tls.addHandler(to: channel)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
