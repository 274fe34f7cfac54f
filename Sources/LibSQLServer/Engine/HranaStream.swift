import Hrana
import Logging
import SQLiteCore
import Synchronization

/// One Hrana stream: its own SQLite connection, transaction state and stored SQL.
///
/// Thread-safe (an internal lock serializes requests); every call blocks the calling thread while SQLite
/// works, so run them on a dedicated thread pool, never on the Swift concurrency pool. The exception is
/// ``handleInline(_:version:limit:)``, whose work is bounded by its time limit.
final class HranaStream: Sendable {
    private let execution: Mutex<StreamExecution>
    private let connection: SQLiteConnection
    let control: StreamControl
    private let onClose: @Sendable (HranaStream) -> Void

    init(
        connection: SQLiteConnection, control: StreamControl, configuration: EngineConfiguration, logger: Logger,
        onClose: @escaping @Sendable (HranaStream) -> Void
    ) {
        self.connection = connection
        self.control = control
        self.onClose = onClose
        self.execution = Mutex(StreamExecution(
            connection: connection, configuration: configuration, control: control, logger: logger))
    }

    deinit {
        execution.withLock { $0.close() }
    }

    /// Runs one pipeline request. Statement, batch and SQL errors come back as `.error(ProtocolError)`;
    /// protocol violations throw ``StreamFailure`` (the HTTP layer answers 400 and drops the stream).
    func handle(_ request: StreamRequest, version: ProtocolVersion) throws(StreamFailure) -> StreamResult {
        if case .close = request {
            close()
            return .ok(.close)
        }
        return try execution.withLock { (execution) throws(StreamFailure) -> StreamResult in
            try execution.handle(request, version: version)
        }
    }

    /// Runs a request on the calling thread when it is cheap: a query that finishes within `limit` (see
    /// ``StreamExecution/executeInline(_:limit:)``), `get_autocommit`, `store_sql` or `close_sql`. `nil` when
    /// it must run on a worker thread with ``handle(_:version:)``; nothing has changed then.
    func handleInline(
        _ request: StreamRequest, version: ProtocolVersion, limit: Duration
    ) throws(StreamFailure) -> StreamResult? {
        switch request {
        case .execute(let stmt):
            return try execution.withLock { (execution) throws(StreamFailure) -> StreamResult? in
                try execution.executeInline(stmt, limit: limit)
            }
        case .getAutocommit, .storeSQL, .closeSQL:
            return try handle(request, version: version)
        case .batch, .sequence, .describe, .close:
            return nil
        }
    }

    /// Runs a batch for `/v3/cursor`, emitting entries in order as they are produced
    /// (`step_begin`, `row`*, `step_end` | `step_error`); skipped steps emit nothing. `emit` may block and
    /// may throw to abort, which surfaces as a ``StreamFailure``.
    func runCursor(
        _ batch: Batch, version: ProtocolVersion, emit: (CursorEntry) throws -> Void
    ) throws(StreamFailure) {
        try execution.withLock { (execution) throws(StreamFailure) in
            try execution.runCursor(batch, version: version, emit: emit)
        }
    }

    /// Whether the connection is in autocommit mode (true once closed).
    var isAutocommit: Bool { execution.withLock { $0.isAutocommit } }

    /// Whether the connection is open, in autocommit mode and holds no stored SQL: fit to serve another
    /// stream (see ``StreamPool``).
    var isRecyclable: Bool {
        execution.withLock { !$0.isClosed && $0.connection.isAutocommit && $0.storedSQL.isEmpty }
    }

    /// The SQL stored on the stream by `store_sql`, by id (the one record of it).
    var storedSQL: [Int32: String] { execution.withLock { $0.storedSQL } }

    /// Whether ``close()`` has run.
    var isClosed: Bool { execution.withLock { $0.isClosed } }

    /// Rolls back any open transaction and closes the connection. Idempotent.
    func close() {
        let wasOpen = execution.withLock { execution in
            defer { execution.close() }
            return !execution.isClosed
        }
        if wasOpen { onClose(self) }
    }

    /// Makes the statement running on this stream, if any, fail soon with `SQLITE_INTERRUPT` (for example
    /// when its client went away). Safe from any thread; a no-op when the stream is idle.
    func interrupt() {
        connection.interrupt()
    }

    /// Forces a rollback when this stream has held the write lock since before `deadline`: at once when it
    /// is idle, else by interrupting its running statement. Returns whether it acted.
    func enforceTransactionTimeout(deadline: ContinuousClock.Instant) -> Bool {
        guard let since = control.writeLockSince, since < deadline else { return false }
        let handled: Bool? = execution.withLockIfAvailable { execution in
            execution.forceRollbackForTimeout()
            return true
        }
        if handled == nil {
            control.requestTimeout()
            connection.interrupt()
        }
        return true
    }
}
