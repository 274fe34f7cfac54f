import Foundation
import Hrana
import Synchronization
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct TransactionTests {
        @Test(arguments: ["BEGIN READONLY", "BEGIN TRANSACTION READONLY", "begin  /* c */ transaction\n readonly ;", "BEGIN READONLY TRANSACTION"])
        func beginReadonlyIsADeferredTransaction(sql: String) throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query(sql)
            #expect(!session.isAutocommit)
            #expect(try session.handle(.getAutocommit, version: .v3) == .ok(.getAutocommit(isAutocommit: false)))
            try session.query("SELECT 1")
            try session.query("COMMIT")
            #expect(session.isAutocommit)
            #expect(try session.failure("BEGIN READONLY; SELECT 1").code == "SQL_MANY_STATEMENTS")
            #expect(try session.failure("BEGIN READONLY READONLY X").code != nil)
        }

        @Test func closingRollsBackAndEndsTheStream() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a)")
            try session.query("BEGIN")
            try session.query("INSERT INTO t VALUES (1)")
            #expect(harness.database.streamCount == 1)
            #expect(try session.handle(.close, version: .v3) == .ok(.close))
            #expect(harness.database.streamCount == 0)
            session.close()
            #expect(session.isAutocommit)
            #expect(try session.handle(.close, version: .v3) == .ok(.close))
            #expect(throws: StreamFailure.self) { try session.handle(.execute(stmt("SELECT 1")), version: .v3) }
            #expect(throws: StreamFailure.self) { try session.handle(.getAutocommit, version: .v3) }
            #expect(throws: StreamFailure.self) { try session.runCursor(Batch(steps: []), version: .v3) { _ in } }
            #expect(try session.handle(.storeSQL(id: 1, sql: "SELECT 1"), version: .v3) == .ok(.storeSQL))
            #expect(try harness.openStream().scalar("SELECT count(*) FROM t") == .integer(0))
        }

        @Test func databaseCloseRollsBackEverySession() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a)")
            try session.query("BEGIN IMMEDIATE")
            try session.query("INSERT INTO t VALUES (1)")
            harness.database.close()
            #expect(throws: StreamFailure.self) { try session.query("SELECT 1") }
            #expect(throws: (any Error).self) { try harness.database.openStream() }
            let wal = harness.folder.appendingPathComponent("db.sqlite-wal").path
            let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
            #expect(walSize == 0, "the WAL is checkpointed and truncated")
        }

        @Test func concurrentWriteTransactionsLoseNoUpdates() throws {
            let harness = try EngineHarness()
            let setup = try harness.openStream()
            try setup.query("CREATE TABLE counter(n INTEGER NOT NULL)")
            try setup.query("INSERT INTO counter VALUES (0)")
            setup.close()
            let failures = Mutex<[String]>([])
            let sessions = 20
            let iterations = 5
            let finished = onThreads(sessions) { _ in
                do {
                    let session = try harness.openStream()
                    defer { session.close() }
                    for _ in 0..<iterations {
                        try session.query("BEGIN IMMEDIATE")
                        guard case .integer(let n) = try session.scalar("SELECT n FROM counter") else {
                            throw EngineTestError("no counter")
                        }
                        try session.query("UPDATE counter SET n = ?", [.integer(n + 1)])
                        try session.query("COMMIT")
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(finished)
            #expect(failures.withLock { $0 } == [])
            #expect(try harness.openStream().scalar("SELECT n FROM counter") == .integer(Int64(sessions * iterations)))
        }

        @Test func writerGivesUpAfterTheBusyTimeout() throws {
            let harness = try EngineHarness { $0.busyTimeout = .milliseconds(200) }
            let holder = try harness.openStream()
            let waiter = try harness.openStream()
            try holder.query("CREATE TABLE t(a)")
            try holder.query("BEGIN IMMEDIATE")
            let start = ContinuousClock.now
            let error = try waiter.failure("INSERT INTO t VALUES (1)")
            let elapsed = ContinuousClock.now - start
            #expect(error.code == "SQLITE_BUSY")
            #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(3))
            // Without a waiter nothing is enforced, however long the lock is held.
            harness.database.enforceTransactionTimeout()
            try holder.query("INSERT INTO t VALUES (2)")
            try holder.query("COMMIT")
            try waiter.query("INSERT INTO t VALUES (3)")
            #expect(try waiter.scalar("SELECT count(*) FROM t") == .integer(2))
        }

        @Test func idleHolderIsRolledBackAfterTheTransactionTimeout() throws {
            let harness = try EngineHarness {
                $0.transactionTimeout = .milliseconds(300)
                $0.busyTimeout = .seconds(4)
            }
            let holder = try harness.openStream()
            let waiter = try harness.openStream()
            try holder.query("CREATE TABLE t(a)")
            try holder.query("BEGIN IMMEDIATE")
            try holder.query("INSERT INTO t VALUES ('holder')")

            let outcome = Mutex<String?>(nil)
            let start = ContinuousClock.now
            let done = Atomic<Bool>(false)
            let thread = Thread {
                do {
                    try waiter.query("INSERT INTO t VALUES ('waiter')")
                    outcome.withLock { $0 = "ok" }
                } catch {
                    outcome.withLock { $0 = "\(error)" }
                }
                done.store(true, ordering: .sequentiallyConsistent)
            }
            thread.start()
            while !done.load(ordering: .sequentiallyConsistent) && ContinuousClock.now - start < .seconds(6) {
                harness.database.enforceTransactionTimeout()
                Thread.sleep(forTimeInterval: 0.02)
            }
            let elapsed = ContinuousClock.now - start
            #expect(outcome.withLock { $0 } == "ok")
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(3))

            // Every step of the holder's next request fails, then the stream works again.
            let batch = try holder.batch([BatchStep(stmt: stmt("SELECT 1")), BatchStep(stmt: stmt("INSERT INTO t VALUES ('late')"))])
            #expect(batch.stepErrors.map { $0?.code } == ["TRANSACTION_TIMEOUT", "TRANSACTION_TIMEOUT"])
            #expect(batch.stepErrors.first??.message == "Transaction timed out")
            #expect(holder.isAutocommit)
            #expect(try holder.query("SELECT a FROM t").rows == [[.text("waiter")]])
        }

        @Test func waitingWriterEnforcesTheTimeoutWithoutATimer() throws {
            // Equal timeouts: the waiter would give up at the moment the holder expires, but its busy
            // handler forces the holder's rollback and keeps waiting for the freed lock.
            let harness = try EngineHarness {
                $0.transactionTimeout = .milliseconds(300)
                $0.busyTimeout = .milliseconds(300)
            }
            let holder = try harness.openStream()
            let waiter = try harness.openStream()
            try holder.query("CREATE TABLE t(a)")
            try holder.query("BEGIN IMMEDIATE")
            try holder.query("INSERT INTO t VALUES ('holder')")
            let start = ContinuousClock.now
            try waiter.query("INSERT INTO t VALUES ('waiter')")
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            #expect(try holder.failure("COMMIT").code == "TRANSACTION_TIMEOUT")
            #expect(try holder.query("SELECT a FROM t").rows == [[.text("waiter")]])
        }

        @Test func timedOutSessionFailsEveryStepOfTheNextCursor() throws {
            let harness = try EngineHarness {
                $0.transactionTimeout = .milliseconds(200)
                $0.busyTimeout = .seconds(4)
            }
            let holder = try harness.openStream()
            let waiter = try harness.openStream()
            try holder.query("CREATE TABLE t(a)")
            try holder.query("BEGIN IMMEDIATE")
            let done = Atomic<Bool>(false)
            let start = ContinuousClock.now
            Thread {
                _ = try? waiter.query("INSERT INTO t VALUES (1)")
                done.store(true, ordering: .sequentiallyConsistent)
            }.start()
            while !done.load(ordering: .sequentiallyConsistent) && ContinuousClock.now - start < .seconds(6) {
                harness.database.enforceTransactionTimeout()
                Thread.sleep(forTimeInterval: 0.02)
            }
            var entries: [CursorEntry] = []
            try holder.runCursor(Batch(steps: [BatchStep(stmt: stmt("SELECT 1")), BatchStep(stmt: stmt("SELECT 2"))]), version: .v3) {
                entries.append($0)
            }
            #expect(entries == [
                .stepError(step: 0, error: EngineError.transactionTimeout), .stepError(step: 1, error: EngineError.transactionTimeout),
            ])
            #expect(try holder.scalar("SELECT count(*) FROM t") == .integer(1))
        }

        @Test func runningHolderIsInterruptedAfterTheTransactionTimeout() throws {
            let harness = try EngineHarness {
                $0.transactionTimeout = .milliseconds(300)
                $0.busyTimeout = .seconds(4)
            }
            let holder = try harness.openStream()
            let waiter = try harness.openStream()
            try holder.query("CREATE TABLE t(a)")
            try holder.query("BEGIN IMMEDIATE")
            try holder.query("INSERT INTO t VALUES ('holder')")

            let holderOutcome = Mutex<[String?]>([])
            let waiterOutcome = Mutex<String?>(nil)
            let finished = Atomic<Int>(0)
            let start = ContinuousClock.now
            Thread {
                let result = try? holder.batch([
                    BatchStep(stmt: stmt("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")),
                    BatchStep(stmt: stmt("INSERT INTO t VALUES ('after interrupt')")),
                ])
                holderOutcome.withLock { $0 = result?.stepErrors.map { $0?.code } ?? [] }
                finished.add(1, ordering: .sequentiallyConsistent)
            }.start()
            Thread {
                Thread.sleep(forTimeInterval: 0.05)
                do {
                    try waiter.query("INSERT INTO t VALUES ('waiter')")
                    waiterOutcome.withLock { $0 = "ok" }
                } catch {
                    waiterOutcome.withLock { $0 = "\(error)" }
                }
                finished.add(1, ordering: .sequentiallyConsistent)
            }.start()
            while finished.load(ordering: .sequentiallyConsistent) < 2 && ContinuousClock.now - start < .seconds(8) {
                harness.database.enforceTransactionTimeout()
                Thread.sleep(forTimeInterval: 0.02)
            }
            if finished.load(ordering: .sequentiallyConsistent) < 2 {
                holder.interrupt()
                Thread.sleep(forTimeInterval: 0.5)
            }
            // The interrupted statement and the rest of its request fail; like sqld, the next request runs.
            #expect(holderOutcome.withLock { $0 } == ["TRANSACTION_TIMEOUT", "TRANSACTION_TIMEOUT"])
            #expect(waiterOutcome.withLock { $0 } == "ok")
            #expect(holder.isAutocommit)
            #expect(try holder.query("SELECT a FROM t").rows == [[.text("waiter")]])
        }
    }
}
