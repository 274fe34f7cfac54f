import CSQLite
import Hrana

/// Inline runs: a query that finishes within a small time limit runs on the thread that handles its HTTP
/// request, saving the hand-off to a worker thread and back. Anything else (a write, a lock wait, a query
/// that runs longer) stops without having changed anything and runs again on a worker thread.
extension StreamExecution {
    /// Runs an `execute` request inline when it is a read-only query on a stream in autocommit mode that
    /// finishes within `limit`; `nil` when it must run on a worker thread with ``handle(_:version:)``.
    func executeInline(_ stmt: Stmt, limit: Duration) throws(StreamFailure) -> StreamResult? {
        guard !isClosed else { throw .closedStream }
        guard connection.isAutocommit else { return nil }
        let sql = try resolve(sql: stmt.sql, sqlID: stmt.sqlID)
        isRunningInline = true
        control.inline.begin(limit: limit)
        defer {
            isRunningInline = false
            control.inline.end()
        }
        var budget = ResponseBudget(limit: configuration.maxResponseSize)
        let result: StreamResult
        do {
            result = .ok(.execute(try executeCollecting(stmt, sql: sql, budget: &budget)))
        } catch .needsWorker {
            return nil
        } catch {
            result = .error(error.asProtocolError)
        }
        finishRequest()
        return result
    }

    /// Whether an inline statement that failed with `code` gave up for its time limit or for a lock.
    func inlineGaveUp(code: Int32) -> Bool {
        control.inline.isExhausted || code == SQLITE_BUSY || code == SQLITE_LOCKED
    }

    /// ``inlineGaveUp(code:)`` for an error in its protocol form (`SQLITE_BUSY_SNAPSHOT`...).
    func inlineGaveUp(code: String?) -> Bool {
        control.inline.isExhausted || code.map { $0.hasPrefix("SQLITE_BUSY") || $0.hasPrefix("SQLITE_LOCKED") } ?? false
    }
}
