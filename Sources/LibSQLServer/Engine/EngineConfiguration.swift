/// Options for every connection of one database.
struct EngineConfiguration: Sendable {
    /// The SQLite file; created (in WAL mode) when missing.
    var databasePath: String
    /// How long a writer waits for the write lock before its statement fails with `SQLITE_BUSY`.
    var busyTimeout: Duration = .seconds(5)
    /// How long a stream may hold the write lock while another one waits before it is force-rolled-back.
    var transactionTimeout: Duration = .seconds(5)
    /// The largest estimated JSON size of one `execute` or `batch` response (⇒ `RESPONSE_TOO_LARGE`).
    var maxResponseSize: Int = 10_000_000
    /// The longest string or blob, in bytes (`SQLITE_LIMIT_LENGTH` ⇒ `SQLITE_TOOBIG`).
    var maxValueSize: Int = ServerConfiguration.defaultMaxValueSize
    /// The most SQL texts one stream may store with `store_sql`.
    var maxStoredSQLCount: Int = 50
    /// The longest SQL text, in UTF-8 bytes, that `store_sql` accepts.
    var maxStoredSQLSize: Int = 5000
    /// No connection checkpoints on its own (the replication log does): `wal_autocheckpoint=0`, no
    /// checkpoint on close, and none when the database closes.
    var keepsWAL = false
    /// `synchronous=FULL` instead of `NORMAL` on every connection.
    var synchronousFull = false

    init(databasePath: String) {
        self.databasePath = databasePath
    }
}
