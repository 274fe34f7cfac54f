import Hrana
import Logging
import SQLiteCore
import Synchronization

/// One Hrana stream: its own SQLite connection, transaction state and stored SQL.
///
/// Thread-safe (an internal lock serializes requests); every call blocks the calling thread while SQLite
/// works, so run them on a dedicated thread pool, never on the Swift concurrency pool. The exception is
/// ``handleInline(_:version:limit:)``, whose work is bounded by its time limit.
final class StreamSession: Sendable {
    private let engine: Mutex<SessionEngine>
    private let connection: SQLiteConnection
    let control: SessionControl
    private let onClose: @Sendable (StreamSession) -> Void

    init(
        connection: SQLiteConnection, control: SessionControl, configuration: EngineConfiguration, logger: Logger,
        onClose: @escaping @Sendable (StreamSession) -> Void
    ) {
        self.connection = connection
        self.control = control
        self.onClose = onClose
        self.engine = Mutex(SessionEngine(
            connection: connection, configuration: configuration, control: control, logger: logger))
    }

    deinit {
        engine.withLock { $0.close() }
    }

    /// Runs one pipeline request. Statement, batch and SQL errors come back as `.error(ProtocolError)`;
    /// protocol violations throw ``StreamFailure`` (the HTTP layer answers 400 and drops the stream).
    func handle(_ request: StreamRequest, version: ProtocolVersion) throws(StreamFailure) -> StreamResult {
        if case .close = request {
            close()
            return .ok(.close)
        }
        return try engine.withLock { (engine) throws(StreamFailure) -> StreamResult in
            try engine.handle(request, version: version)
        }
    }

    /// Runs a request on the calling thread when it is cheap: a query that finishes within `limit` (see
    /// ``SessionEngine/executeInline(_:limit:)``), `get_autocommit`, `store_sql` or `close_sql`. `nil` when
    /// it must run on a worker thread with ``handle(_:version:)``; nothing has changed then.
    func handleInline(
        _ request: StreamRequest, version: ProtocolVersion, limit: Duration
    ) throws(StreamFailure) -> StreamResult? {
        switch request {
        case .execute(let stmt):
            return try engine.withLock { (engine) throws(StreamFailure) -> StreamResult? in
                try engine.executeInline(stmt, limit: limit)
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
        try engine.withLock { (engine) throws(StreamFailure) in
            try engine.runCursor(batch, version: version, emit: emit)
        }
    }

    /// Whether the connection is in autocommit mode (true once closed).
    var isAutocommit: Bool { engine.withLock { $0.isAutocommit } }

    /// Whether the connection is open and in autocommit mode, fit to serve another stream (see ``SessionPool``).
    var isOpenInAutocommit: Bool { engine.withLock { !$0.isClosed && $0.connection.isAutocommit } }

    /// Whether ``close()`` has run.
    var isClosed: Bool { engine.withLock { $0.isClosed } }

    /// Rolls back any open transaction and closes the connection. Idempotent.
    func close() {
        let wasOpen = engine.withLock { engine in
            defer { engine.close() }
            return !engine.isClosed
        }
        if wasOpen { onClose(self) }
    }

    /// Makes the statement running on this stream, if any, fail soon with `SQLITE_INTERRUPT` (for example
    /// when its client went away). Safe from any thread; a no-op when the stream is idle.
    func interrupt() {
        connection.interrupt()
    }

    /// Forces a rollback when this session has held the write lock since before `deadline`: at once when it
    /// is idle, else by interrupting its running statement. Returns whether it acted.
    func enforceTransactionTimeout(deadline: ContinuousClock.Instant) -> Bool {
        guard let since = control.writeLockSince, since < deadline else { return false }
        let handled: Bool? = engine.withLockIfAvailable { engine in
            engine.forceRollbackForTimeout()
            return true
        }
        if handled == nil {
            control.requestTimeout()
            connection.interrupt()
        }
        return true
    }
}
