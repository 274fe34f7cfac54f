import Foundation
import LibSQLClient
import Logging
import Synchronization

/// An embedded replica: a local SQLite file that is a page-exact copy of a remote libSQL database (Turso, or any
/// primary that speaks libSQL's HTTP sync protocol), kept in sync by pulling the primary's WAL frames.
///
/// ```swift
/// let replica = try await EmbeddedReplica.open(
///     path: "/var/data/app.db", url: "libsql://my-db.turso.io", authToken: token, syncInterval: .seconds(60))
/// let users = try await replica.execute("SELECT * FROM users")              // local
/// try await replica.execute("INSERT INTO users (name) VALUES (\("d"))")     // remote
/// let result = try await replica.sync()                                     // frames applied, position
/// await replica.close()
/// ```
/// Reads (statements SQLite compiles as read-only, read-only batches, `.read` transactions, queries) run on the
/// local file; everything else goes to the remote ``remote`` database over Hrana. After a write, the next local
/// read first syncs so that it sees the write (``Options/readYourWrites``).
public final class EmbeddedReplica: DatabaseConnection {
    /// How a replica syncs.
    public struct Options: Sendable {
        /// Whether a local read after a write first syncs so that it sees the write.
        public var readYourWrites: Bool
        /// The longest a sync may take before it fails with ``ReplicaError/Code/timeout``.
        public var syncTimeout: Duration
        /// The longest one sync request may take (each is retried on 502/503/504 and connection failures).
        public var requestTimeout: Duration
        /// The longest a bootstrap (the download of the whole database) may take.
        public var bootstrapTimeout: Duration
        /// How long the apply waits for local readers to finish before the sync fails with
        /// ``ReplicaError/Code/busy``.
        public var busyTimeout: Duration
        /// The HTTP transport for syncs and remote statements; `nil` makes one owned by the replica.
        public var transport: (any HTTPTransport)?
        /// The certificate authorities the owned transport trusts over `https:` (and the remote over `wss:`):
        /// the system's by default. A ``transport`` you pass brings its own TLS settings.
        public var tls: Database.Configuration.TLS

        /// Creates options.
        public init(
            readYourWrites: Bool = true, syncTimeout: Duration = .seconds(60), requestTimeout: Duration = .seconds(30),
            bootstrapTimeout: Duration = .seconds(3600), busyTimeout: Duration = .seconds(5),
            transport: (any HTTPTransport)? = nil, tls: Database.Configuration.TLS = .system
        ) {
            self.readYourWrites = readYourWrites
            self.syncTimeout = syncTimeout
            self.requestTimeout = requestTimeout
            self.bootstrapTimeout = bootstrapTimeout
            self.busyTimeout = busyTimeout
            self.transport = transport
            self.tls = tls
        }
    }

    /// The path of the replica file.
    public let path: String
    /// The remote database writes go to.
    public let remote: Database
    /// The options the replica was opened with.
    public let options: Options
    let syncer: ReplicaSyncer
    let reader: LocalReader
    private let lockFile: ReplicaLockFile
    private let ownedTransport: (any HTTPTransport)?
    private let logger: Logger
    /// Counts remote writes that finished; a read syncs when a write is newer than the last sync.
    private let writeEpoch = WriteEpoch()
    private let authToken: AuthTokenStore
    private let state = Mutex<(closed: Bool, background: Task<Void, Never>?)>((false, nil))

    private init(
        path: String, remote: Database, options: Options, syncer: ReplicaSyncer, reader: LocalReader,
        lockFile: ReplicaLockFile, ownedTransport: (any HTTPTransport)?, authToken: AuthTokenStore, logger: Logger
    ) {
        self.path = path
        self.remote = remote
        self.options = options
        self.syncer = syncer
        self.reader = reader
        self.lockFile = lockFile
        self.ownedTransport = ownedTransport
        self.authToken = authToken
        self.logger = logger
    }

    deinit {
        // A replica dropped without close(): stop its sync and release what it owns.
        let (wasClosed, background) = state.withLock { state in
            defer { state.closed = true }
            return (state.closed, state.background)
        }
        guard !wasClosed else { return }
        background?.cancel()
        lockFile.release()
        if let ownedTransport {
            Task { [syncer, reader, remote] in
                await background?.value
                await syncer.close()
                await reader.close()
                await remote.close()
                try? await ownedTransport.shutdown()
            }
        }
    }

    /// Opens the replica at `path` of the remote database at `url`.
    ///
    /// A missing or empty file is bootstrapped from the primary's export. An existing file must be a replica of
    /// the same remote (its `<path>-sync` metadata matches), else this throws ``ReplicaError/Code/notAReplica`` or
    /// ``ReplicaError/Code/metadataMismatch``; a replica whose file was changed behind its back is rebuilt. A path
    /// another replica has open fails with ``ReplicaError/Code/alreadyOpen``. A server certificate that
    /// ``Options/tls`` does not trust fails with ``ReplicaError/Code/tlsError``.
    ///
    /// - Parameter syncInterval: sync in the background this often (the first one at once); `nil` or zero syncs
    ///   only when ``sync()`` is called (and for read-your-writes).
    public static func open(
        path: String, url: String, authToken: String? = nil, syncInterval: Duration? = nil,
        options: Options = Options(),
        logger: Logger = Logger(label: "Replica", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> EmbeddedReplica {
        let (baseURL, urlToken) = try Database.remoteEndpoint(url)
        let token = authToken ?? urlToken
        let files = LocalFiles(database: path)
        let ownedTransport: (any HTTPTransport)?
        do {
            ownedTransport = options.transport == nil ? try AsyncHTTPClientTransport(tls: options.tls) : nil
        } catch let error as LibSQLError {
            throw ReplicaError(.tlsError, error.message)
        }
        let transport = options.transport ?? ownedTransport!
        let lockFile: ReplicaLockFile
        do {
            lockFile = try ReplicaLockFile(path: files.lock, database: path)
        } catch {
            try? await ownedTransport?.shutdown()
            throw error
        }
        let tokenStore = AuthTokenStore(token)
        do {
            let client = SyncProtocolClient(
                baseURL: baseURL, authToken: tokenStore, transport: transport, requestTimeout: options.requestTimeout,
                logger: logger)
            let remoteName = Self.remoteName(baseURL)
            let (syncer, _) = try await withTimeout(options.bootstrapTimeout, "Opening the replica") {
                try await ReplicaSyncer.open(
                    files: files, client: client, remote: remoteName, busyTimeout: options.busyTimeout, logger: logger)
            }
            let reader = try LocalReader(path: path, busyTimeout: options.busyTimeout)
            await syncer.setOnReplaced { await reader.reopen() }
            let remote = try Database(
                configuration: Database.Configuration(
                    url: url, authToken: token, transport: transport, tls: options.tls, logger: logger))
            let replica = EmbeddedReplica(
                path: path, remote: remote, options: options, syncer: syncer, reader: reader, lockFile: lockFile,
                ownedTransport: ownedTransport, authToken: tokenStore, logger: logger)
            if let syncInterval, syncInterval > .zero {
                let task = Task { [syncer, logger, epoch = replica.writeEpoch] in
                    await Self.backgroundLoop(
                        syncer: syncer, epoch: epoch, interval: syncInterval, timeout: options.syncTimeout, logger: logger)
                }
                replica.state.withLock { $0.background = task }
            }
            return replica
        } catch {
            lockFile.release()
            try? await ownedTransport?.shutdown()
            throw error
        }
    }

    /// The remote's identity in the metadata: scheme, host, port and path, never credentials.
    static func remoteName(_ url: URL) -> String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.user = nil
        components?.password = nil
        components?.query = nil
        return components?.string ?? url.host ?? "remote"
    }

    /// Replaces the auth token of the syncs and of the remote writes, for a token that is about to expire: the
    /// next sync request and the next remote statement carry the new one. What is already in flight keeps the
    /// token it was sent with.
    public func updateAuthToken(_ token: String?) {
        authToken.replace(with: token)
        remote.updateAuthToken(token)
    }

    // MARK: Syncing

    /// Pulls and applies everything the primary committed, up to the end of its current generation. Never waits
    /// for the background interval; waits only for a sync already running.
    @discardableResult
    public func sync() async throws -> SyncResult {
        try checkOpen()
        let epoch = writeEpoch.value
        return try await syncer.sync(writeEpoch: epoch, force: true, timeout: options.syncTimeout)
    }

    /// The replica's position: generation and last applied frame.
    public var position: (generation: UInt32, frame: UInt32) {
        get async {
            let position = await syncer.position
            return (position.generation, position.frame)
        }
    }

    /// Syncs every `interval` (the first at once) until the task is cancelled: errors are logged and retried
    /// with exponential backoff (from 0.5 s up to `interval`). Never overlaps another sync of this replica.
    public func runBackgroundSync(every interval: Duration) async {
        await Self.backgroundLoop(
            syncer: syncer, epoch: writeEpoch, interval: interval, timeout: options.syncTimeout, logger: logger)
    }

    static func backgroundLoop(
        syncer: ReplicaSyncer, epoch: WriteEpoch, interval: Duration, timeout: Duration, logger: Logger
    ) async {
        var failures = 0
        while !Task.isCancelled {
            var delay = interval
            do {
                let result = try await syncer.sync(writeEpoch: epoch.value, force: true, timeout: timeout)
                failures = 0
                logger.debug("Background sync", metadata: [
                    "frames": "\(result.framesApplied)", "generation": "\(result.generation)", "frame": "\(result.frame)",
                ])
            } catch is CancellationError {
                return
            } catch let error as ReplicaError where error.code == .closed {
                return
            } catch {
                failures += 1
                delay = min(interval, .milliseconds(500) * (1 << min(failures - 1, 20)))
                logger.debug("Background sync failed; retrying", metadata: [
                    "error": "\(error)", "retryIn": "\(delay)",
                ])
            }
            try? await Task.sleep(for: delay)
        }
    }

    // MARK: DatabaseConnection

    /// Runs a statement: locally when SQLite compiles it as read-only on the replica, else on the remote.
    @discardableResult
    public func execute(_ statement: Statement) async throws -> ResultSet {
        if reader.isReadOnly(statement.sql) {
            return try await readLocally { try await $0.execute(statement) }
        }
        return try await writeRemotely { try await $0.execute(statement) }
    }

    /// Runs statements atomically: locally when every one is read-only and `mode` is not `.write`, else on the
    /// remote.
    @discardableResult
    public func batch(_ statements: [Statement], mode: TransactionMode) async throws -> [ResultSet] {
        if mode != .write, statements.allSatisfy({ reader.isReadOnly($0.sql) }) {
            return try await readLocally { try await $0.batch(statements, mode: mode) }
        }
        return try await writeRemotely { try await $0.batch(statements, mode: mode) }
    }

    /// Runs an interactive transaction: a `.read` transaction on the local file, any other on the remote.
    @discardableResult
    public func transaction<T>(_ mode: TransactionMode, _ body: (Transaction) async throws -> T) async throws -> T {
        if mode == .read {
            try await syncForRead()
            return try await reader.database.transaction(.read, body)
        }
        try checkOpen()
        defer { writeEpoch.advance() }
        return try await remote.transaction(mode, body)
    }

    /// Runs a script on the remote.
    public func executeMultiple(_ sql: String) async throws {
        try await writeRemotely { try await $0.executeMultiple(sql) }
    }

    /// Runs schema changes on the remote.
    @discardableResult
    public func migrate(_ statements: [Statement]) async throws -> [ResultSet] {
        try await writeRemotely { try await $0.migrate(statements) }
    }

    /// Streams the rows of a query from the local file when it is read-only, else from the remote (a write
    /// through `query` is seen by reads that start after its rows were read).
    public func query(_ statement: Statement) -> RowSequence {
        RowSequence.deferred({ [self] in
            if reader.isReadOnly(statement.sql) {
                try await syncForRead()
                return reader.database.query(statement)
            }
            try checkOpen()
            writeEpoch.advance()
            return remote.query(statement)
        })
    }

    /// Stops the background sync, waits for a sync in progress, and releases the files and connections.
    public func close() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard !state.closed else { return nil }
            state.closed = true
            return state.background ?? Task {}
        }
        guard let task else { return }
        task.cancel()
        await task.value
        await syncer.close()
        await reader.close()
        await remote.close()
        do {
            try await ownedTransport?.shutdown()
        } catch {
            logger.debug("Transport shutdown failed", metadata: ["error": "\(error)"])
        }
        lockFile.release()
    }

    // MARK: Routing

    private func checkOpen() throws {
        if state.withLock({ $0.closed }) { throw ReplicaError(.closed, "The replica is closed") }
    }

    private func syncForRead() async throws {
        try checkOpen()
        guard options.readYourWrites else { return }
        let epoch = writeEpoch.value
        guard epoch > 0 else { return }
        _ = try await syncer.sync(writeEpoch: epoch, force: false, timeout: options.syncTimeout)
    }

    private func readLocally<T>(_ body: (Database) async throws -> T) async throws -> T {
        try await syncForRead()
        return try await body(reader.database)
    }

    private func writeRemotely<T>(_ body: (Database) async throws -> T) async throws -> T {
        try checkOpen()
        defer { writeEpoch.advance() }
        return try await body(remote)
    }
}

/// Counts the remote writes of a replica that have finished.
final class WriteEpoch: Sendable {
    private let count = Atomic<UInt64>(0)

    var value: UInt64 { count.load(ordering: .acquiring) }

    func advance() {
        count.add(1, ordering: .releasing)
    }
}
