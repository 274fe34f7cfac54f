import CSQLite
import Hrana
import SQLiteCore

/// The transaction timeout as seen from the stream: forced rollbacks and `TRANSACTION_TIMEOUT` errors.
extension StreamExecution {
    /// Rolls back the open transaction of an idle stream whose write lock was held too long.
    func forceRollbackForTimeout() {
        guard !isClosed, connection.transactionState == .write else { return }
        rollback()
        control.setTimedOut()
        logger.debug("Rolled back an idle transaction that held the write lock too long")
    }

    /// Whether the next statement must fail with `TRANSACTION_TIMEOUT`; turns a pending timeout of a
    /// stream still holding the write lock into a rollback first.
    func refuseForTimeout() -> Bool {
        applyTimeoutRequest()
        guard control.isTimedOut else { return false }
        observedTimeout = true
        if !connection.isAutocommit { rollback() }
        return true
    }

    func applyTimeoutRequest() {
        guard !isClosed, control.takeTimeoutRequest() else { return }
        if connection.transactionState == .write {
            rollback()
            control.setTimedOut()
            logger.debug("Rolled back a transaction that held the write lock too long")
        }
    }

    /// Like sqld, a forced rollback fails every remaining statement of the first request that notices it
    /// (the next request when the stream was idle, else the interrupted one); then the flag clears.
    func finishRequest() {
        applyTimeoutRequest()
        if observedTimeout {
            observedTimeout = false
            control.clearTimedOut()
        }
    }

    /// Rolls back the open transaction. Should `ROLLBACK` fail with the transaction still open, the
    /// connection is closed (which ends the transaction and releases its locks) rather than left holding it:
    /// the stream's next request fails, and the stream is never pooled.
    func rollback() {
        // The transaction-timeout enforcer stops interrupting this stream, so that it cannot interrupt the ROLLBACK.
        control.noteRollingBack()
        var attempts = 0
        while true {
            do {
                try connection.execute(script: "ROLLBACK")
                break
            } catch {
                if connection.isAutocommit { break }
                attempts += 1
                // An interrupt sent just before the enforcer stopped, for the statement that already ended,
                // fails the next statement (this ROLLBACK) once; the retry runs clean.
                if error.code == SQLITE_INTERRUPT && attempts < 3 { continue }
                logger.debug("ROLLBACK failed; closing the connection to end its transaction", metadata: ["error": "\(error)"])
                close()
                break
            }
        }
        control.noteWriteLock(held: false, since: .now)
    }

    func noteTransactionState(since start: ContinuousClock.Instant) {
        guard !isClosed else { return }
        control.noteWriteLock(held: connection.transactionState == .write, since: start)
    }
}
