import Foundation

extension Database.Configuration {
    /// Which certificate authorities a remote client trusts over `https:` and `wss:` (and `libsql:`, which is
    /// TLS unless `?tls=0`).
    ///
    /// The default trusts the system's roots, as a browser does. A private CA (a self-hosted `sqld` behind a
    /// company CA, a test CA) is added with ``additionalTrustRoots``; with ``trustsSystemRoots`` off, only the given
    /// roots are trusted.
    ///
    /// ```swift
    /// var configuration = Database.Configuration(url: "wss://db.internal:8443")
    /// configuration.tls = .trusting([.pemFile("/etc/ssl/private-ca.pem")])
    /// ```
    /// Applies to the client's own HTTP transport and to its WebSocket; a ``Database/Configuration/transport``
    /// you pass yourself brings its own TLS settings. Certificates are always verified, host name included.
    public struct TLS: Sendable, Hashable {
        /// Certificate authorities trusted besides (or, with ``trustsSystemRoots`` off, instead of) the system's.
        public var additionalTrustRoots: [Certificates]
        /// Whether the system's trust roots are trusted too (the default).
        public var trustsSystemRoots: Bool

        /// Creates TLS settings; the default trusts the system's roots only.
        public init(additionalTrustRoots: [Certificates] = [], trustsSystemRoots: Bool = true) {
            self.additionalTrustRoots = additionalTrustRoots
            self.trustsSystemRoots = trustsSystemRoots
        }

        /// The system's trust roots, nothing else.
        public static var system: TLS { TLS() }

        /// The system's roots and `roots`, or `roots` alone when `systemRoots` is `false`.
        public static func trusting(_ roots: [Certificates], systemRoots: Bool = true) -> TLS {
            TLS(additionalTrustRoots: roots, trustsSystemRoots: systemRoots)
        }

        /// One or more X.509 certificates in PEM (`-----BEGIN CERTIFICATE-----` blocks).
        public enum Certificates: Sendable, Hashable {
            /// PEM text in memory.
            case pem(Data)
            /// A PEM file, read when the ``Database`` is created.
            case pemFile(String)

            /// PEM text in memory, from a string.
            public static func pem(_ text: String) -> Certificates { .pem(Data(text.utf8)) }
        }
    }
}
