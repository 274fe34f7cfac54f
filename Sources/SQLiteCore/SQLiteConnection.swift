import CSQLite
import Foundation
import Synchronization

/// One SQLite database connection.
///
/// Thread-safety contract: use a connection from one thread at a time (callers serialize access, e.g.
/// with a lock); it is opened with `SQLITE_OPEN_NOMUTEX`. The one exception is ``interrupt()``, which may be
/// called from any thread at any time, also concurrently with ``close()``. Statements prepared on a
/// connection follow the same contract and must not outlive it.
package final class SQLiteConnection: @unchecked Sendable {
    /// How a connection opens its file.
    package enum Mode: Sendable {
        /// Reading and writing.
        case readWrite
        /// Reading only.
        case readOnly
    }

    /// The state of the connection's transaction (`sqlite3_txn_state`).
    package enum TransactionState: Sendable, Hashable {
        /// No transaction is open.
        case none
        /// A read transaction is open.
        case read
        /// A write transaction is open: the connection holds the database's write lock.
        case write
    }

    /// A run-time limit (`sqlite3_limit`).
    package enum Limit: Sendable, Hashable {
        /// The longest string or blob, and row, in bytes (`SQLITE_LIMIT_LENGTH`).
        case length
        /// The longest SQL text in bytes (`SQLITE_LIMIT_SQL_LENGTH`).
        case sqlLength
        /// The most columns in a table, index, view or result (`SQLITE_LIMIT_COLUMN`).
        case columns
        /// The largest parameter number (`SQLITE_LIMIT_VARIABLE_NUMBER`).
        case variableNumber

        var rawValue: Int32 {
            switch self {
            case .length: SQLITE_LIMIT_LENGTH
            case .sqlLength: SQLITE_LIMIT_SQL_LENGTH
            case .columns: SQLITE_LIMIT_COLUMN
            case .variableNumber: SQLITE_LIMIT_VARIABLE_NUMBER
            }
        }
    }

    /// The raw handle, `nil` once closed; guarded by `lock` against `interrupt()` racing `close()`.
    private let handleLock: Mutex<OpaquePointer?>
    private let rawHandle: OpaquePointer
    private var busyHandlerBox: Unmanaged<BusyHandlerBox>?
    private var progressHandlerBox: Unmanaged<ProgressHandlerBox>?
    private var walHookBox: Unmanaged<WALHookBox>?
    private var commitHookBox: Unmanaged<CommitHookBox>?

    /// The path the connection was opened with.
    package let path: String

    /// Opens (and by default creates) a database file. Extended result codes are enabled.
    package init(path: String, mode: Mode = .readWrite, create: Bool = true) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var handle: OpaquePointer?
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let error = SQLiteError(result: result, connection: handle)
            sqlite3_close_v2(handle)
            throw error
        }
        sqlite3_extended_result_codes(handle, 1)
        self.rawHandle = handle
        self.handleLock = Mutex(handle)
        self.path = path
    }

    deinit {
        close()
    }

    /// The `sqlite3*` handle, for calls this wrapper does not cover. Valid until ``close()``.
    package var handle: OpaquePointer { rawHandle }

    /// Whether ``close()`` has run.
    package var isClosed: Bool { handleLock.withLock { $0 == nil } }

    /// Closes the connection, rolling back any open transaction. Idempotent.
    package func close() {
        handleLock.withLock { handle in
            guard let open = handle else { return }
            handle = nil
            if sqlite3_get_autocommit(open) == 0 { sqlite3_exec(open, "ROLLBACK", nil, nil, nil) }
            sqlite3_close_v2(open)
        }
        busyHandlerBox?.release()
        busyHandlerBox = nil
        progressHandlerBox?.release()
        progressHandlerBox = nil
        walHookBox?.release()
        walHookBox = nil
        commitHookBox?.release()
        commitHookBox = nil
    }

    /// Makes the statement running on this connection, if any, fail with `SQLITE_INTERRUPT` soon.
    /// Safe from any thread; a no-op when the connection is idle or closed.
    package func interrupt() {
        handleLock.withLock { handle in
            if let handle { sqlite3_interrupt(handle) }
        }
    }

    // MARK: Statements

    /// Compiles the first statement of `sql`.
    ///
    /// Returns `nil` as the statement when the text before the tail holds no statement (empty,
    /// whitespace, comments or a lone `;`), and the unparsed rest of the text as `tail`.
    package func prepare(_ sql: String) throws(SQLiteError) -> (statement: SQLiteStatement?, tail: String) {
        try withUTF8(sql) { (buffer) throws(SQLiteError) -> (statement: SQLiteStatement?, tail: String) in
            let (statement, consumed) = try prepare(buffer)
            let tail = consumed < buffer.count
                ? String(decoding: UnsafeBufferPointer(rebasing: buffer[consumed...]), as: UTF8.self) : ""
            return (statement, tail)
        }
    }

    /// Compiles the first statement of a UTF-8 buffer; returns it and the number of bytes consumed.
    package func prepare(_ utf8: UnsafeBufferPointer<UInt8>) throws(SQLiteError) -> (statement: SQLiteStatement?, consumed: Int) {
        guard let base = utf8.baseAddress, !utf8.isEmpty else { return (nil, 0) }
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let result = base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { text in
            sqlite3_prepare_v2(rawHandle, text, Int32(clamping: utf8.count), &statement, &tail)
        }
        guard result == SQLITE_OK else {
            throw SQLiteError(result: result, connection: rawHandle)
        }
        let consumed = tail.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? utf8.count
        return (statement.map { SQLiteStatement(handle: $0, connection: self) }, consumed)
    }

    /// Runs every statement of a script in order, discarding rows; stops at the first error.
    package func execute(script: String) throws(SQLiteError) {
        try withUTF8(script) { (buffer) throws(SQLiteError) in
            var offset = 0
            while offset < buffer.count {
                let (statement, consumed) = try prepare(UnsafeBufferPointer(rebasing: buffer[offset...]))
                if let statement {
                    while try statement.step() {}
                }
                if consumed == 0 { break }
                offset += consumed
            }
        }
    }

    // MARK: State

    /// Whether the connection is in autocommit mode (no explicit transaction open).
    package var isAutocommit: Bool { sqlite3_get_autocommit(rawHandle) != 0 }

    /// Rows changed by the most recently completed INSERT, UPDATE or DELETE.
    package var changes: Int64 { Int64(sqlite3_changes64(rawHandle)) }

    /// Rows changed by every INSERT, UPDATE and DELETE since the connection opened, triggers included.
    package var totalChanges: Int64 { Int64(sqlite3_total_changes64(rawHandle)) }

    /// The rowid of the most recent successful INSERT on this connection.
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(rawHandle) }

    /// The transaction state of the main database.
    package var transactionState: TransactionState {
        switch sqlite3_txn_state(rawHandle, nil) {
        case SQLITE_TXN_WRITE: .write
        case SQLITE_TXN_READ: .read
        default: .none
        }
    }

    // MARK: Configuration

    /// Sets a run-time limit and returns the previous value.
    @discardableResult
    package func setLimit(_ limit: Limit, _ value: Int32) -> Int32 {
        sqlite3_limit(rawHandle, limit.rawValue, value)
    }

    /// Reads a run-time limit.
    package func limit(_ limit: Limit) -> Int32 {
        sqlite3_limit(rawHandle, limit.rawValue, -1)
    }

    /// Makes SQLite retry for up to `timeout` when the database is locked (replaces any busy handler).
    package func setBusyTimeout(_ timeout: Duration) {
        removeBusyHandler()
        sqlite3_busy_timeout(rawHandle, Int32(clamping: timeout.milliseconds))
    }

    /// Installs a busy handler: called with the number of earlier calls for the same lock wait, it
    /// returns `true` to retry (after sleeping as it sees fit) or `false` to give up with `SQLITE_BUSY`.
    /// Replaces any busy timeout. Runs on the thread that is using the connection.
    package func setBusyHandler(_ handler: @escaping @Sendable (Int32) -> Bool) {
        removeBusyHandler()
        let box = Unmanaged.passRetained(BusyHandlerBox(handler))
        busyHandlerBox = box
        sqlite3_busy_handler(rawHandle, { context, count in
            guard let context else { return 0 }
            return Unmanaged<BusyHandlerBox>.fromOpaque(context).takeUnretainedValue().handler(count) ? 1 : 0
        }, box.toOpaque())
    }

    private func removeBusyHandler() {
        sqlite3_busy_handler(rawHandle, nil, nil)
        busyHandlerBox?.release()
        busyHandlerBox = nil
    }

    /// Installs a progress handler (`sqlite3_progress_handler`): called about every `instructions` virtual
    /// machine instructions of a running statement, it returns `true` to stop the statement with
    /// `SQLITE_INTERRUPT`. `nil` removes it. Runs on the thread that is using the connection.
    package func setProgressHandler(every instructions: Int32, _ handler: (@Sendable () -> Bool)?) {
        sqlite3_progress_handler(rawHandle, 0, nil, nil)
        progressHandlerBox?.release()
        progressHandlerBox = nil
        guard let handler else { return }
        let box = Unmanaged.passRetained(ProgressHandlerBox(handler))
        progressHandlerBox = box
        sqlite3_progress_handler(rawHandle, max(instructions, 1), { context in
            guard let context else { return 0 }
            return Unmanaged<ProgressHandlerBox>.fromOpaque(context).takeUnretainedValue().handler() ? 1 : 0
        }, box.toOpaque())
    }

    /// Installs a commit hook for WAL mode (`sqlite3_wal_hook`): called after each commit on this connection,
    /// on its thread, with the number of frames now in the WAL. It replaces the automatic checkpoint, so use
    /// it only where checkpoints are run by hand (`PRAGMA wal_autocheckpoint=0`).
    package func setWALHook(_ hook: @escaping @Sendable (Int32) -> Void) {
        let box = Unmanaged.passRetained(WALHookBox(hook))
        sqlite3_wal_hook(rawHandle, { context, _, _, frames in
            if let context { Unmanaged<WALHookBox>.fromOpaque(context).takeUnretainedValue().handler(frames) }
            return SQLITE_OK
        }, box.toOpaque())
        walHookBox?.release()
        walHookBox = box
    }

    /// Installs a commit hook (`sqlite3_commit_hook`): called on this connection's thread as each transaction
    /// is about to commit, while it still holds the write lock. It never turns the commit into a rollback.
    package func setCommitHook(_ hook: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(CommitHookBox(hook))
        sqlite3_commit_hook(rawHandle, { context in
            if let context { Unmanaged<CommitHookBox>.fromOpaque(context).takeUnretainedValue().handler() }
            return 0
        }, box.toOpaque())
        commitHookBox?.release()
        commitHookBox = box
    }

    /// Switches the database to write-ahead logging (persistent for the file) and returns the resulting mode.
    @discardableResult
    package func enableWAL() throws(SQLiteError) -> String {
        try journalMode("WAL")
    }

    /// Sets the journal mode (`PRAGMA journal_mode`) and returns the mode now in effect, lower-cased.
    @discardableResult
    package func journalMode(_ mode: String) throws(SQLiteError) -> String {
        let allowed: Set<String> = ["delete", "truncate", "persist", "memory", "wal", "off"]
        guard allowed.contains(mode.lowercased()) else {
            throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "unknown journal mode \(mode)")
        }
        guard let statement = try prepare("PRAGMA journal_mode=\(mode.lowercased())").statement,
              try statement.step(), case .text(let result) = try statement.value(at: 0)
        else { return "" }
        return result.lowercased()
    }

    /// Runs a checkpoint of the write-ahead log (`SQLITE_CHECKPOINT_TRUNCATE` by default).
    package func checkpoint(truncate: Bool = true) throws(SQLiteError) {
        let mode = truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE
        let result = sqlite3_wal_checkpoint_v2(rawHandle, nil, mode, nil, nil)
        guard result == SQLITE_OK else { throw SQLiteError(result: result, connection: rawHandle) }
    }
}

/// Calls `body` with the UTF-8 bytes of `text`, keeping the typed error.
func withUTF8<R, E: Error>(
    _ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R
) throws(E) -> R {
    var text = text
    let result: Result<R, E> = text.withUTF8 { buffer in
        do throws(E) { return .success(try body(buffer)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// Keeps a Swift callback alive while SQLite holds a pointer to it.
private final class CallbackBox<Handler> {
    let handler: Handler
    init(_ handler: Handler) { self.handler = handler }
}

private typealias BusyHandlerBox = CallbackBox<@Sendable (Int32) -> Bool>
private typealias ProgressHandlerBox = CallbackBox<@Sendable () -> Bool>
private typealias WALHookBox = CallbackBox<@Sendable (Int32) -> Void>
private typealias CommitHookBox = CallbackBox<@Sendable () -> Void>

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
