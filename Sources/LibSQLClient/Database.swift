import Foundation
import Hrana
import Logging

/// A libSQL database: Turso, sqld, `libsql serve`, or a local SQLite file, behind one async API.
///
/// ```swift
/// let db = try Database(url: "libsql://my-db.turso.io", authToken: token)
/// let rs = try await db.execute("SELECT id, name FROM users WHERE id = \(42)")
/// try await db.transaction(.write) { tx in
///     try await tx.execute("INSERT INTO users (name) VALUES (\("c"))")
/// }
/// await db.close()
/// ```
/// A `Database` is `Sendable`: share one per process and use it from many tasks at once. Remote calls are bounded
/// by ``Configuration/concurrency``; every autocommit call is one HTTP request that opens and closes its
/// own stream. Over WebSocket (`ws://`, `wss://`, ``Configuration/wire``) the client keeps one socket and runs
/// every call on its own stream of it, many in flight at once.
public final class Database: DatabaseConnection {
    /// The configuration the client was created with.
    public let configuration: Configuration
    let backend: any Backend
    /// Whether the client talks to a server (`true`) or a local file (`false`).
    public let isRemote: Bool

    /// Creates a client from a configuration; invalid URLs fail here with a ``LibSQLError``.
    public init(configuration: Configuration) throws {
        self.configuration = configuration
        switch try Endpoint.parse(configuration.url) {
        case .remote(let baseURL, let urlToken):
            let token = configuration.authToken ?? urlToken
            let tls = try configuration.tls.clientConfiguration()
            if WebSocketConnector.usesWebSocket(baseURL, wire: configuration.wire) {
                backend = WebSocketBackend(connector: WebSocketConnector(
                    baseURL: baseURL, authToken: token, configuration: configuration, tlsConfiguration: tls))
            } else {
                let connector = RemoteConnector(
                    baseURL: baseURL, authToken: token, configuration: configuration, tlsConfiguration: tls)
                backend = RemoteBackend(connector: connector)
            }
            isRemote = true
        case .local(let path):
            backend = try LocalBackend(path: path, access: .readWrite, logger: configuration.logger)
            isRemote = false
        }
    }

    /// Opens a local SQLite file read-only for another layer (the embedded replica's reads): the file is never
    /// created or written, and its journal mode is left as it is (a replica file stays in rollback-journal mode,
    /// written only by the replica's applier). Results are exactly those of normal local mode; writes fail with
    /// `SQLITE_READONLY`.
    package init(readOnlyLocalPath path: String, busyTimeout: Duration, logger: Logger) throws {
        configuration = Configuration(url: "file:" + path, logger: logger)
        backend = try LocalBackend(path: path, access: .readOnly(busyTimeout: busyTimeout), logger: logger)
        isRemote = false
    }

    /// Creates a client for a URL (`libsql://`, `https://`, `http://`, `wss://`, `ws://`, `file:`).
    public convenience init(
        url: String, authToken: String? = nil, transport: (any HTTPTransport)? = nil,
        logger: Logger = Logger(label: "LibSQLClient", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        try self.init(configuration: Configuration(url: url, authToken: authToken, transport: transport, logger: logger))
    }

    /// Creates a client from `TURSO_DATABASE_URL` and `TURSO_AUTH_TOKEN`.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "LibSQLClient", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws -> Database {
        guard let url = environment["TURSO_DATABASE_URL"], !url.isEmpty else {
            throw LibSQLError(code: .configurationMissing, message: "TURSO_DATABASE_URL is not set")
        }
        let token = environment["TURSO_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return try Database(configuration: Configuration(url: url, authToken: token, logger: logger))
    }

    // MARK: Credentials

    /// Replaces the auth token of a remote client (Turso and sqld tokens expire): every request sent after this
    /// returns carries `token` (`nil` sends none). Over HTTP it is the next request's `Authorization` header; over
    /// WebSocket the open socket sends a new `hello` before its next request, so the socket, its streams and an
    /// open transaction carry on, authenticated by the new token. A token the server refuses fails that request
    /// with ``Hrana/ErrorCode/unauthorized`` (or the server's `AUTH_*` code) and, over WebSocket, ends the socket;
    /// the next rotation to a good token recovers. ``configuration`` keeps the token the client was created with.
    /// No effect on a local database.
    public func updateAuthToken(_ token: String?) {
        backend.updateAuthToken(token)
    }

    // MARK: Statements

    /// Runs one statement in autocommit mode (one HTTP request for remote databases).
    @discardableResult
    public func execute(_ statement: Statement) async throws -> ResultSet {
        try await LibSQLError.guarding { try await backend.execute(statement) }
    }

    /// Runs statements atomically in one round trip; the first failure rolls everything back and is thrown with
    /// its ``LibSQLError/statementIndex``.
    @discardableResult
    public func batch(_ statements: [Statement], mode: TransactionMode) async throws -> [ResultSet] {
        guard !statements.isEmpty else { return [] }
        return try await LibSQLError.guarding {
            try await backend.batch(statements, mode: mode, disablingForeignKeys: false)
        }
    }

    /// Runs an interactive transaction: commits when `body` returns, rolls back when it throws or the task is
    /// cancelled. An error thrown by `body` is rethrown as it is; a cancelled task gets ``Hrana/ErrorCode/cancelled``.
    ///
    /// Remotely the transaction is one stream: `BEGIN` travels with the first statement and `COMMIT` with the
    /// stream's `close`, so N statements cost N + 1 HTTP requests (none at all when `body` runs no statement), or
    /// N when the last one is sent with ``Transaction/executeAndCommit(_:)``.
    @discardableResult
    public func transaction<T>(
        _ mode: TransactionMode, _ body: (Transaction) async throws -> T
    ) async throws -> T {
        let backend = try await LibSQLError.guarding { try await self.backend.beginTransaction(mode) }
        let transaction = Transaction(backend: backend)
        let value: T
        do {
            value = try await body(transaction)
            if Task.isCancelled { throw LibSQLError.cancelled }
        } catch {
            await Task { await backend.rollback() }.value
            throw error
        }
        do {
            try await Task { try await backend.commit() }.value
        } catch {
            await Task { await backend.rollback() }.value
            throw LibSQLError.mapped(error)
        }
        return value
    }

    /// Runs a script of several statements in order, outside any transaction (`sequence`).
    public func executeMultiple(_ sql: String) async throws {
        try await LibSQLError.guarding { try await backend.executeMultiple(sql) }
    }

    /// Runs schema changes as one deferred batch with foreign keys off, as libsql-client-ts does: the pragmas are
    /// the batch's first and last steps, on the batch's own connection, in the same round trip. Locally the
    /// connection's previous `foreign_keys` setting is restored afterwards.
    @discardableResult
    public func migrate(_ statements: [Statement]) async throws -> [ResultSet] {
        guard !statements.isEmpty else { return [] }
        return try await LibSQLError.guarding {
            try await backend.batch(statements, mode: .deferred, disablingForeignKeys: true)
        }
    }

    /// Streams the rows of a query with bounded memory (`/v3/cursor` remotely; a Hrana 2 server returns them
    /// in one response).
    public func query(_ statement: Statement) -> RowSequence {
        let backend = self.backend
        return RowSequence { try await backend.query(statement) }
    }


    /// Releases the client's connections. Idempotent; every later call (also on a transaction or row sequence
    /// obtained before) fails with ``Hrana/ErrorCode/clientClosed`` without reaching SQLite or the network. A local
    /// transaction still open is rolled back.
    public func close() async {
        await backend.close()
    }
}
