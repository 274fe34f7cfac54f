import Foundation
import Hrana
import Logging

extension Database {
    /// Everything a client needs to connect: where, as whom, and how hard to push.
    public struct Configuration: Sendable {
        /// The database URL: `libsql://host` (HTTPS), `https://`, `http://`, `wss://` or `ws://` (Hrana over
        /// WebSocket), `file:path` or `file::memory:`. `?tls=0` turns `libsql:` into plain HTTP (or `ws:`);
        /// `?authToken=` supplies the token.
        public var url: String
        /// The bearer token sent to remote servers; overrides `?authToken=` in the URL. Replace it on a running
        /// client with ``Database/updateAuthToken(_:)``.
        public var authToken: String?
        /// The time allowed for one HTTP request, or `nil` for no limit.
        public var requestTimeout: Duration?
        /// The most HTTP requests (over WebSocket: exchanges on the socket) in flight at once; `0` means unlimited.
        public var concurrency: Int
        /// Whether to ask remote servers for gzip-compressed responses.
        public var compression: Bool
        /// The HTTP transport; `nil` means an ``AsyncHTTPClientTransport`` owned by the client. Not used over
        /// WebSocket.
        public var transport: (any HTTPTransport)?
        /// A fixed protocol version, or `nil` to probe the server once (`GET /v3`, then `GET /v2`).
        public var protocolVersion: ProtocolVersion?
        /// Whether repeated statements of a stream are stored on the server (`store_sql`) and run by id.
        public var storesSQL: Bool
        /// The body encoding over HTTP: JSON (`/v2`, `/v3`), or protobuf (`/v3-protobuf`) when the server
        /// answers its probe; a server without it, or a fixed ``protocolVersion`` of Hrana 2, gets JSON.
        /// Over WebSocket, protobuf offers `hrana3-protobuf` (binary frames) and JSON offers `hrana3`, then `hrana2`.
        public var encoding: Encoding
        /// The wire for `libsql:`, `https:` and `http:` URLs: HTTP requests (the default) or one WebSocket per
        /// client; `ws:` and `wss:` URLs always use WebSocket.
        public var wire: Wire
        /// The certificate authorities trusted over `https:` and `wss:`: the system's by default (see ``TLS``).
        public var tls: TLS
        /// Where the client logs (debug level and below).
        public var logger: Logger

        /// Creates a configuration.
        public init(
            url: String, authToken: String? = nil, requestTimeout: Duration? = .seconds(30), concurrency: Int = 20,
            compression: Bool = true, transport: (any HTTPTransport)? = nil, protocolVersion: ProtocolVersion? = nil,
            storesSQL: Bool = true, encoding: Encoding = .json, wire: Wire = .http, tls: TLS = .system,
            logger: Logger = Logger(label: "LibSQLClient", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.url = url
            self.authToken = authToken
            self.requestTimeout = requestTimeout
            self.concurrency = concurrency
            self.compression = compression
            self.transport = transport
            self.protocolVersion = protocolVersion
            self.storesSQL = storesSQL
            self.encoding = encoding
            self.wire = wire
            self.tls = tls
            self.logger = logger
        }

        /// How Hrana bodies are encoded on the wire.
        public enum Encoding: String, Sendable, Hashable {
            /// JSON, which every libSQL server speaks.
            case json
            /// The protobuf encoding of Hrana 3 (`/v3-protobuf/pipeline`, `/v3-protobuf/cursor`).
            case protobuf
        }

        /// How a remote client reaches its server.
        public enum Wire: String, Sendable, Hashable {
            /// Hrana over HTTP: one request per call (or per pipelined group of a transaction).
            case http
            /// Hrana over one WebSocket per client, with every stream multiplexed on it (`GET /` upgraded).
            case webSocket
        }
    }
}

/// Where a configuration points: a remote base URL or a local file.
enum Endpoint: Sendable, Hashable {
    case remote(baseURL: URL, authToken: String?)
    case local(path: String)

    /// Parses a libsql-client-ts style URL.
    static func parse(_ text: String) throws -> Endpoint {
        if text.hasPrefix("file:") {
            var path = String(text.dropFirst("file:".count))
            if let query = path.firstIndex(of: "?") {
                let params = String(path[path.index(after: query)...])
                path = String(path[..<query])
                if !params.isEmpty {
                    throw LibSQLError(code: .urlParamNotSupported, message: "file: URLs take no query parameters (got \"\(params.prefix(40))\")")
                }
            }
            if path.hasPrefix("//") {
                path.removeFirst(2)
                if !path.hasPrefix("/") {
                    guard let slash = path.firstIndex(of: "/"), path[..<slash] == "localhost" || path[..<slash].isEmpty else {
                        throw LibSQLError(code: .urlInvalid, message: "A file: URL cannot name a remote host")
                    }
                    path = String(path[slash...])
                }
            }
            path = path.removingPercentEncoding ?? path
            guard !path.isEmpty else { throw LibSQLError(code: .urlInvalid, message: "A file: URL needs a path") }
            return .local(path: path)
        }
        guard var components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw LibSQLError(code: .urlInvalid, message: "The URL \"\(Self.redacted(text))\" is not valid")
        }
        guard let host = components.host, !host.isEmpty else {
            throw LibSQLError(code: .urlInvalid, message: "The URL \"\(Self.redacted(text))\" has no host")
        }
        var tls: Bool?
        var token: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "tls":
                switch item.value {
                case "0": tls = false
                case "1": tls = true
                default: throw LibSQLError(code: .urlInvalid, message: "Unknown value for ?tls=, use 0 or 1")
                }
            case "authToken":
                token = item.value
            default:
                throw LibSQLError(code: .urlParamNotSupported, message: "Unsupported URL query parameter \"\(item.name)\"")
            }
        }
        switch scheme {
        case "libsql":
            components.scheme = tls == false ? "http" : "https"
        case "https", "http", "ws", "wss":
            if tls != nil {
                throw LibSQLError(code: .urlInvalid, message: "?tls= only applies to libsql: URLs")
            }
            components.scheme = scheme
        default:
            throw LibSQLError(code: .urlSchemeNotSupported, message: "The URL scheme \"\(scheme):\" is not supported")
        }
        components.query = nil
        components.fragment = nil
        components.user = nil
        components.password = nil
        guard let url = components.url else {
            throw LibSQLError(code: .urlInvalid, message: "The URL \"\(Self.redacted(text))\" is not valid")
        }
        return .remote(baseURL: url, authToken: token)
    }

    /// The URL with its query removed, for error messages (a query may hold a token).
    static func redacted(_ text: String) -> String {
        String(text.prefix { $0 != "?" }.prefix(200))
    }
}
