import Foundation

/// An error of an embedded replica: what went wrong, never with the auth token in it.
///
/// The replica file is never left half-synced by any of these: a failed sync leaves it at the last primary
/// transaction it applied completely.
public struct ReplicaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// Another process (or another replica object) has the replica open.
        case alreadyOpen
        /// The file exists but was not made by a replica (no sync metadata next to it).
        case notAReplica
        /// The sync metadata next to the file is corrupt, of an unknown format, or belongs to another remote.
        case metadataMismatch
        /// The server rejected the auth token (HTTP 401 or 403).
        case unauthorized
        /// The server's answer does not follow the sync protocol (bad frame length, a transaction that never
        /// commits, an unexpected status).
        case protocolViolation
        /// The server kept answering with a temporary error (5xx) or the remote database does not serve the
        /// sync protocol.
        case serverUnavailable
        /// The connection failed or was cut.
        case connectionFailed
        /// TLS failed: the server's certificate is not trusted (see ``EmbeddedReplica/Options/tls``) or does not
        /// match the host name, the handshake failed, or the configured trust roots could not be loaded.
        case tlsError
        /// The sync did not finish within its timeout.
        case timeout
        /// The replica stayed locked by a long read for longer than the busy timeout.
        case busy
        /// Reading or writing the local files failed.
        case localFileError
        /// The remote database uses a page size other than 4096 bytes, which the protocol cannot carry.
        case unsupportedPageSize
        /// The replica was closed.
        case closed
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The HTTP status, when the server sent one.
    public var httpStatus: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    public var description: String {
        "\(code.rawValue): \(message)" + (httpStatus.map { " [HTTP \($0)]" } ?? "")
    }
}
