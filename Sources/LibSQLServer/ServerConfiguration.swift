import Foundation

/// How ``HranaServer`` listens, authenticates and limits its clients.
///
/// The defaults match sqld where sqld has a default (10 s stream expiry, 5 s transaction timeout,
/// 10 MB responses), except values: 6 MiB instead of sqld's 5,000,000 bytes, so that a 5 MiB blob fits in a
/// row (``maxValueSize``).
public struct ServerConfiguration: Sendable {
    /// The SQLite database file; created when missing and switched to WAL mode.
    public var databasePath: String
    /// The interface to bind.
    public var host: String
    /// The TCP port; `0` picks a free ephemeral port (read it from ``RunningServer/port``).
    public var port: Int
    /// A static bearer token every Hrana request must carry (`Authorization: Bearer <token>`).
    public var authToken: String?
    /// Ed25519 public keys that may sign JWTs (EdDSA), as sqld's `--auth-jwt-key-file` accepts them.
    public var jwtPublicKeys: [JWTPublicKey]
    /// How long an HTTP stream may stay idle before it is closed and its transaction rolled back.
    public var streamIdleTimeout: Duration
    /// How long an expired stream keeps answering `STREAM_EXPIRED` before its baton becomes merely invalid.
    public var expiredStreamRetention: Duration
    /// The most streams kept open between requests (each holds a SQLite connection: about 100 KB and two file
    /// descriptors). A new stream beyond it expires the stream idle for longest, as if its idle timeout had
    /// passed, so clients that leave streams open cannot exhaust memory or descriptors.
    public var maxStreams: Int
    /// How long a transaction may hold the write lock while another stream waits to write.
    public var transactionTimeout: Duration
    /// How long a statement waits for a lock before failing with `SQLITE_BUSY`.
    public var busyTimeout: Duration
    /// The largest pipeline response, estimated by the engine; larger ones fail with `RESPONSE_TOO_LARGE`.
    public var maxResponseSize: Int
    /// The largest request body accepted; larger ones get HTTP 413 without being read further.
    public var maxRequestBodySize: Int
    /// The largest string or blob value, and table row, in bytes (`SQLITE_LIMIT_LENGTH`); larger ones fail with
    /// `SQLITE_TOOBIG`. The default, 6 MiB, admits a 5 MiB value with room for the rest of its row; a value
    /// at the limit also fits in a request (base64 makes it 8.4 MB) and in a response under the defaults.
    public var maxValueSize: Int
    /// Sent as `base_url` in every pipeline and cursor response, like sqld's `SQLD_HTTP_SELF_URL`.
    public var selfURL: String?
    /// How long a connection may stay silent, including in the middle of a request body, before it is closed.
    public var connectionIdleTimeout: Duration
    /// Threads that run blocking SQLite work; waiting writers each hold one.
    public var workerThreads: Int
    /// How long a read-only query may run inline, on the task that handles its HTTP request, before it is
    /// stopped and run again on a worker thread. Short queries skip the hand-off to a worker and back;
    /// `.zero` runs every statement on a worker thread.
    public var inlineQueryLimit: Duration
    /// WAL capture for embedded replicas (`/info`, `/export`, `/sync`); see ``ReplicationOptions``. Off by
    /// default here (it keeps every generation's frames on disk); `libsql serve` turns it on.
    public var replication: ReplicationOptions
    /// Whether every commit is fsynced before it is acknowledged (`synchronous=FULL`), so that a power
    /// loss loses no acknowledged write. Off (`NORMAL`), a crash of the server process still loses nothing.
    public var durableCommits: Bool

    /// Creates a configuration.
    public init(
        databasePath: String = "libsql.db",
        host: String = "127.0.0.1",
        port: Int = 8080,
        authToken: String? = nil,
        jwtPublicKeys: [JWTPublicKey] = [],
        streamIdleTimeout: Duration = .seconds(10),
        expiredStreamRetention: Duration = .seconds(300),
        maxStreams: Int = 1024,
        transactionTimeout: Duration = .seconds(5),
        busyTimeout: Duration = .seconds(5),
        maxResponseSize: Int = 10_000_000,
        maxRequestBodySize: Int = 32 << 20,
        maxValueSize: Int = ServerConfiguration.defaultMaxValueSize,
        selfURL: String? = nil,
        connectionIdleTimeout: Duration = .seconds(60),
        workerThreads: Int = 64,
        inlineQueryLimit: Duration = .microseconds(200),
        replication: ReplicationOptions = ReplicationOptions(isEnabled: false),
        durableCommits: Bool = false
    ) {
        self.databasePath = databasePath
        self.host = host
        self.port = port
        self.authToken = authToken
        self.jwtPublicKeys = jwtPublicKeys
        self.streamIdleTimeout = streamIdleTimeout
        self.expiredStreamRetention = expiredStreamRetention
        self.maxStreams = maxStreams
        self.transactionTimeout = transactionTimeout
        self.busyTimeout = busyTimeout
        self.maxResponseSize = maxResponseSize
        self.maxRequestBodySize = maxRequestBodySize
        self.maxValueSize = maxValueSize
        self.selfURL = selfURL
        self.connectionIdleTimeout = connectionIdleTimeout
        self.workerThreads = workerThreads
        self.inlineQueryLimit = inlineQueryLimit
        self.replication = replication
        self.durableCommits = durableCommits
    }

    /// The default ``maxValueSize``: 6 MiB (6,291,456 bytes).
    public static let defaultMaxValueSize = 6 << 20

    /// Whether requests must authenticate.
    public var requiresAuthentication: Bool { authToken != nil || !jwtPublicKeys.isEmpty }
}
