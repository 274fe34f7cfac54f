import Foundation
import LibSQLClient
import Logging
import Synchronization

/// The process-wide default connection, like ActiveRecord's `establish_connection`.
///
/// ```swift
/// try await Records.establishConnection(adapter: "turso", database: "libsql://my-db.turso.io", token: token)
/// let users = try await User.order("name").limit(10).all()   // uses Records.connection
/// ```
/// Setting and reading it is thread-safe; pass `on:` to any model call to use another connection instead.
public enum Records {
    private static let storage = Mutex<RecordConnection?>(nil)

    /// The default connection; throws ``RecordError/Kind/connectionNotEstablished`` before one is established.
    public static var connection: RecordConnection {
        get throws {
            guard let connection = storage.withLock({ $0 }) else {
                throw RecordError(.connectionNotEstablished, "No connection: call Records.establishConnection(…) first, or pass on: to the call")
            }
            return connection
        }
    }

    /// Makes `connection` the default and returns it.
    @discardableResult
    public static func establishConnection(_ connection: RecordConnection) -> RecordConnection {
        storage.withLock { $0 = connection }
        return connection
    }

    /// Opens and installs a connection from a configuration.
    @discardableResult
    public static func establishConnection(
        _ configuration: ConnectionConfiguration,
        logger: Logger = Logger(label: "RecordAdapter", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> RecordConnection {
        establishConnection(try await configuration.open(logger: logger))
    }

    /// Opens and installs a connection from the seed's keys.
    @discardableResult
    public static func establishConnection(
        adapter: String = "turso", database: String, token: String? = nil, replicaPath: String? = nil, syncInterval: Int? = nil,
        logger: Logger = Logger(label: "RecordAdapter", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> RecordConnection {
        try await establishConnection(
            ConnectionConfiguration(adapter: adapter, database: database, token: token, replicaPath: replicaPath, syncInterval: syncInterval),
            logger: logger)
    }

    /// Opens and installs the connection of one environment of a `database.yml`.
    @discardableResult
    public static func establishConnection(
        yamlFile path: String, environment: String,
        logger: Logger = Logger(label: "RecordAdapter", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> RecordConnection {
        try await establishConnection(ConnectionConfiguration(yamlFile: path, environment: environment), logger: logger)
    }

    /// Removes the default connection and closes it.
    public static func removeConnection() async {
        let old = storage.withLock { connection in
            defer { connection = nil }
            return connection
        }
        await old?.close()
    }

    /// A transaction on the default connection.
    @discardableResult
    public static func transaction<T>(_ body: () async throws -> T) async throws -> T {
        try await connection.transaction(body)
    }
}
