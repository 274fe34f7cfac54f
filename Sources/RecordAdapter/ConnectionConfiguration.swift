import Foundation
import LibSQLClient
import Logging
import Replica

/// The seed's connection settings: `adapter: turso`, `database` (or `url`), `token`, `replica_path`,
/// `sync_interval`; and `ca_file`, a PEM file of certificate authorities trusted besides the system's (a private or
/// test CA in front of `https://` and `libsql://`).
///
/// ```swift
/// let config = try ConnectionConfiguration(yamlFile: "config/database.yml", environment: "production")
/// let db = try await Records.establishConnection(config)
/// ```
/// The token is never printed: ``description`` redacts it.
public struct ConnectionConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The adapter name; `turso` (or `libsql`).
    public var adapter: String
    /// The database URL: `libsql://…`, `https://…`, `http://…` or `file:path`.
    public var database: String
    /// The auth token for remote databases.
    public var token: String?
    /// The local file of an embedded replica.
    public var replicaPath: String?
    /// Seconds between background syncs of the replica; `nil` or `0` means manual ``RecordConnection/sync()`` only.
    public var syncInterval: Int?
    /// A PEM file of certificate authorities trusted over TLS besides the system's roots.
    public var caFile: String?

    /// The keys a configuration may have.
    public static let knownKeys: Set<String> = [
        "adapter", "database", "url", "token", "replica_path", "sync_interval", "ca_file",
    ]

    /// Creates a configuration in code.
    public init(
        adapter: String = "turso", database: String, token: String? = nil, replicaPath: String? = nil,
        syncInterval: Int? = nil, caFile: String? = nil
    ) {
        self.adapter = adapter
        self.database = database
        self.token = token
        self.replicaPath = replicaPath
        self.syncInterval = syncInterval
        self.caFile = caFile
    }

    /// Reads a configuration from a dictionary with the seed's keys, as found in `database.yml`.
    ///
    /// Unknown keys, a missing `database`/`url`, both given with different values, an adapter other than `turso`,
    /// or a non-integer `sync_interval` fail with ``RecordError/Kind/configurationInvalid``.
    public init(dictionary: [String: any Sendable], source: String = "configuration") throws {
        func invalid(_ message: String) -> RecordError { RecordError(.configurationInvalid, "\(source): \(message)") }
        let unknown = Set(dictionary.keys).subtracting(Self.knownKeys).sorted()
        guard unknown.isEmpty else {
            throw invalid("unknown key\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) (known: \(Self.knownKeys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            guard let value = dictionary[key], !(value is NSNull) else { return nil }
            if let text = value as? String { return text.isEmpty ? nil : text }
            if let number = value as? Int { return String(number) }
            throw invalid("\(key) must be text")
        }
        let adapter = try string("adapter") ?? "turso"
        guard ["turso", "libsql"].contains(adapter) else { throw invalid("adapter must be turso (got \(adapter))") }
        let database = try string("database")
        let url = try string("url")
        if let database, let url, database != url { throw invalid("give database or url, not both") }
        guard let location = database ?? url else {
            throw invalid("missing required key database (a libsql:// URL; url is accepted too)")
        }
        var interval: Int?
        if let raw = dictionary["sync_interval"], !(raw is NSNull) {
            if let number = raw as? Int, number >= 0 {
                interval = number
            } else if let text = raw as? String, let number = Int(text), number >= 0 {
                interval = number
            } else {
                throw invalid("sync_interval must be a whole number of seconds ≥ 0")
            }
        }
        self.init(
            adapter: adapter, database: location, token: try string("token"), replicaPath: try string("replica_path"),
            syncInterval: interval, caFile: try string("ca_file"))
    }

    /// Reads `TURSO_DATABASE_URL` and `TURSO_AUTH_TOKEN` (and `TURSO_REPLICA_PATH`, `TURSO_SYNC_INTERVAL`,
    /// `TURSO_CA_FILE`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConnectionConfiguration {
        guard let url = environment["TURSO_DATABASE_URL"], !url.isEmpty else {
            throw RecordError(.configurationInvalid, "TURSO_DATABASE_URL is not set")
        }
        var dictionary: [String: any Sendable] = ["database": url]
        dictionary["token"] = environment["TURSO_AUTH_TOKEN"]
        dictionary["replica_path"] = environment["TURSO_REPLICA_PATH"]
        dictionary["sync_interval"] = environment["TURSO_SYNC_INTERVAL"]
        dictionary["ca_file"] = environment["TURSO_CA_FILE"]
        return try ConnectionConfiguration(dictionary: dictionary, source: "environment")
    }

    public var description: String {
        var text = "adapter: \(adapter), database: \(Self.redactedURL(database))"
        if token != nil { text += ", token: [redacted]" }
        if let replicaPath { text += ", replica_path: \(replicaPath)" }
        if let syncInterval { text += ", sync_interval: \(syncInterval)" }
        if let caFile { text += ", ca_file: \(caFile)" }
        return text
    }

    static func redactedURL(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.queryItems?.isEmpty == false else { return url }
        components.queryItems = components.queryItems?.map { URLQueryItem(name: $0.name, value: $0.name == "authToken" ? "[redacted]" : $0.value) }
        return components.string ?? url
    }

    /// The trust roots: the system's, and those of ``caFile``.
    var tls: Database.Configuration.TLS {
        caFile.map { .trusting([.pemFile($0)]) } ?? .system
    }

    func open(logger: Logger) async throws -> RecordConnection {
        if let replicaPath {
            let interval = syncInterval.flatMap { $0 > 0 ? Duration.seconds($0) : nil }
            do {
                let replica = try await EmbeddedReplica.open(
                    path: replicaPath, url: database, authToken: token, syncInterval: interval,
                    options: EmbeddedReplica.Options(tls: tls), logger: logger)
                return RecordConnection(replica, logger: logger, sync: { _ = try await replica.sync() })
            } catch let error as LibSQLError {
                throw RecordError(.connectionNotEstablished, "Cannot open the replica of \(Self.redactedURL(database)) at \(replicaPath): \(error.message)", underlying: error)
            } catch let error as ReplicaError {
                throw RecordError(.connectionNotEstablished, "Cannot open the replica of \(Self.redactedURL(database)) at \(replicaPath): \(error)")
            }
        }
        do {
            let database = try Database(configuration: Database.Configuration(url: self.database, authToken: token, tls: tls, logger: logger))
            return RecordConnection(database, logger: logger)
        } catch let error as LibSQLError {
            throw RecordError(.connectionNotEstablished, "Cannot open \(Self.redactedURL(self.database)): \(error.message)", underlying: error)
        }
    }
}

extension RecordConnection {
    /// Opens the connection a configuration describes (without making it the default): a ``LibSQLClient/Database``,
    /// or with `replica_path` an embedded replica (`Replica.EmbeddedReplica`: reads local, writes remote, synced
    /// every `sync_interval` seconds and by ``RecordConnection/sync()``).
    public static func open(
        _ configuration: ConnectionConfiguration,
        logger: Logger = Logger(label: "RecordAdapter", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> RecordConnection {
        try await configuration.open(logger: logger)
    }
}
