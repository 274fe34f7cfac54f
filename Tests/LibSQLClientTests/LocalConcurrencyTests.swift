import Foundation
import LibSQLClient
import Logging
import SQLiteCore
import Testing

/// What readers and writers of a local file can do at the same time (WAL, SQLite work off the cooperative pool).
@Suite struct LocalConcurrencyTests {
    @Test("a write while a streamed read of 200,000 rows is open goes ahead; the read sees its snapshot")
    func writeDuringStreamedRead() async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("stream.db").path)
            try await db.execute("CREATE TABLE t (x INTEGER)")
            try await db.execute("""
                INSERT INTO t (x) WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200000)
                SELECT n FROM c
                """)
            var seen = 0
            var inserted = 0
            for try await row in db.query("SELECT x FROM t") {
                seen += 1
                #expect(row[0] == .integer(Int64(seen)))
                if seen % 50_000 == 1 {
                    try await db.execute("INSERT INTO t (x) VALUES (\(-seen))")
                    inserted += 1
                }
            }
            #expect(seen == 200_000)
            #expect(inserted == 4)
            let count = try await db.execute("SELECT count(*) FROM t")
            #expect(count.rows[0][0] == .integer(200_004))
            let mode = try await db.execute("PRAGMA journal_mode")
            #expect(mode.rows[0][0] == .text("wal"))
            await db.close()
        }
    }

    @Test("writers waiting for another client's write lock do not starve the cooperative pool")
    func lockWaitsStayOffTheCooperativePool() async throws {
        try await withTemporaryDirectory { directory in
            let url = "file:" + directory.appendingPathComponent("busy.db").path
            let holder = try Database(url: url)
            try await holder.execute("CREATE TABLE t (x INTEGER)")
            // More waiting writers than the cooperative pool has threads.
            let count = min(ProcessInfo.processInfo.activeProcessorCount + 2, 12)
            let writers = try (0..<count).map { _ in try Database(url: url) }
            var waiting: [Task<Void, any Error>] = []
            try await holder.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t VALUES (0)")
                for (index, writer) in writers.enumerated() {
                    waiting.append(Task { try await writer.execute("INSERT INTO t VALUES (\(index + 1))") })
                }
                // The writers now wait for the lock (up to 5 s each); this task must still get a thread to commit.
                try await Task.sleep(for: .milliseconds(300))
                try await tx.execute("INSERT INTO t VALUES (-1)")
            }
            for task in waiting { try await task.value }
            let rows = try await holder.execute("SELECT count(*) FROM t")
            #expect(rows.rows[0][0] == .integer(Int64(count + 2)))
            for writer in writers { await writer.close() }
            await holder.close()
        }
    }

    @Test("short reads run inline but never wait for a lock on the cooperative pool")
    func inlineReadsDoNotWaitOnThePool() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("journal.db").path
            // A rollback-journal file: an EXCLUSIVE lock there keeps every reader out until it commits.
            let holder = try SQLiteConnection(path: path)
            try holder.execute(script: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
            let count = min(ProcessInfo.processInfo.activeProcessorCount + 2, 12)
            let readers = try (0..<count).map { _ in
                try Database(readOnlyLocalPath: path, busyTimeout: .seconds(20), logger: Logger(label: "test"))
            }
            // Warm up: each reader's first query runs inline while nothing holds a lock.
            for reader in readers {
                #expect(try await reader.execute("SELECT count(*) FROM t").rows[0][0] == .integer(1))
            }
            try holder.execute(script: "BEGIN EXCLUSIVE; INSERT INTO t VALUES (2)")
            let waiting = readers.map { reader in
                Task { try await reader.execute("SELECT count(*) FROM t").rows[0][0] }
            }
            // The readers now wait for the lock; this task must still get a thread to commit.
            try await Task.sleep(for: .milliseconds(300))
            try holder.execute(script: "COMMIT")
            for task in waiting { #expect(try await task.value == .integer(2)) }
            for reader in readers { await reader.close() }
            holder.close()
        }
    }

    @Test("a read that outlasts the inline limit is run again on a thread and returns every row")
    func longReadFallsBackToAThread() async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("long.db").path)
            let sql: Statement = """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
                SELECT count(*), sum(i) FROM n
                """
            let result = try await db.execute(sql)
            #expect(result.rows[0][0] == .integer(300_000))
            #expect(result.rows[0][1] == .integer(45_000_150_000))
            await db.close()
        }
    }
}
