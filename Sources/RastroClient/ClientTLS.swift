import NIOCore
import NIOSSL

/// TLS for `rastro send`: the server's certificate is verified against the system's CAs or `caFile`, and its name
/// against the host connected to; a client certificate is presented when the server asks for one (mutual TLS).
public struct ClientTLS: Sendable {
    /// PEM CA certificates to trust instead of the system's (a private CA).
    public var caFile: String?
    /// PEM client certificate and key, for a server that requires one.
    public var certificate: String?
    public var key: String?

    public init(caFile: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.caFile = caFile
        self.certificate = certificate
        self.key = key
    }

    /// The context every connection of one send shares.
    func context() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile { configuration.trustRoots = .file(caFile) }
        if let certificate, let key {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

extension SendConfiguration {
    /// Puts TLS first in a new connection's pipeline when the send uses it. The host is sent for SNI and verified
    /// against the certificate unless it is an IP address, which is verified against the certificate's IP entries.
    func addTLS(to channel: any NIOCore.Channel, context: NIOSSLContext?) throws {
        guard let context else { return }
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        try channel.pipeline.syncOperations.addHandler(
            try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host))
    }
}
