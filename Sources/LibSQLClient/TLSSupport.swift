import Foundation
import Hrana
import NIOPosix
import NIOSSL

extension Database.Configuration.TLS {
    /// The swift-nio-ssl client configuration of these settings: full verification (chain and host name) against
    /// the system's roots and/or the given ones. Unreadable or invalid PEM is a `TLS_ERROR`.
    func clientConfiguration() throws(LibSQLError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        var certificates: [NIOSSLCertificate] = []
        for source in additionalTrustRoots {
            certificates += try source.load()
        }
        if trustsSystemRoots {
            configuration.trustRoots = .default
            if !certificates.isEmpty { configuration.additionalTrustRoots = [.certificates(certificates)] }
        } else {
            guard !certificates.isEmpty else {
                throw LibSQLError(code: .tlsError, message: "TLS trusts no root: the system roots are off and no certificate was given")
            }
            configuration.trustRoots = .certificates(certificates)
        }
        return configuration
    }
}

extension Database.Configuration.TLS.Certificates {
    fileprivate func load() throws(LibSQLError) -> [NIOSSLCertificate] {
        let bytes: [UInt8]
        let origin: String
        switch self {
        case .pem(let data):
            bytes = Array(data)
            origin = "The PEM trust roots"
        case .pemFile(let path):
            origin = "The trust roots file \(path)"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LibSQLError(code: .tlsError, message: "\(origin) could not be read")
            }
            bytes = Array(data)
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw LibSQLError(code: .tlsError, message: "\(origin) hold no valid PEM certificate (\(error))")
        }
        guard !certificates.isEmpty else {
            throw LibSQLError(code: .tlsError, message: "\(origin) hold no PEM certificate")
        }
        return certificates
    }
}

extension LibSQLError {
    /// A TLS failure (handshake, certificate verification, host name) as a `TLS_ERROR`, or `nil` for any other
    /// error. The message names the reason swift-nio-ssl or BoringSSL gave; it holds no header or token.
    package static func tls(_ error: any Error) -> LibSQLError? {
        let reason: String
        switch error {
        case let error as NIOSSLError:
            switch error {
            case .handshakeFailed(let underlying):
                let text = "\(underlying)"
                reason = text.contains("CERTIFICATE_VERIFY_FAILED")
                    ? "the server's certificate could not be verified (CERTIFICATE_VERIFY_FAILED: not issued by a "
                        + "trusted CA, or expired); trust its CA with Database.Configuration.tls"
                    : "the TLS handshake failed (\(text))"
            case .uncleanShutdown:
                return nil
            default:
                reason = "\(error)"
            }
        case let error as NIOSSLExtraError:
            switch error {
            case .failedToValidateHostname:
                reason = "the server's certificate does not match the host name (\(error))"
            case .cannotUseIPAddressInSNI:
                reason = "a wss: URL needs a host name, not an IP address (the WebSocket client sends it in SNI)"
            default:
                reason = "\(error)"
            }
        case let error as BoringSSLError:
            reason = "\(error)"
        case let error as NIOConnectionError:
            // A failure while a connection was being set up (the TLS handler is added then) comes wrapped.
            return error.connectionErrors.lazy.compactMap { tls($0.error) }.first
        default:
            return nil
        }
        return LibSQLError(code: .tlsError, message: "TLS failed: \(String(reason.prefix(400)))")
    }
}
