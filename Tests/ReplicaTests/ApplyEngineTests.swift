import Fixtures
import Foundation
import SQLiteCore
import Testing
@testable import Replica

/// The apply engine on real SQLite files: frames captured from a stock-SQLite WAL primary are applied to a
/// rollback-mode replica; the replica must equal the primary after every transaction.
@Suite struct ApplyEngineTests {
    @Test func randomWorkloadKeepsReplicaEqualToPrimary() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try WALPrimary(path: directory + "/primary.db")
            try primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, payload BLOB)")
            let replica = try TestReplica(path: directory + "/replica.db", primary: primary)
            var random = SeededGenerator(seed: 8)
            var applied = 0
            for step in 0..<60 {
                try primary.execute(Self.randomStatement(step: step, using: &random))
                applied += try replica.apply(try primary.newFrames())
                #expect(try integrityCheck(replica.files.database) == "ok", "step \(step)")
                #expect(try dump(replica.files.database) == dump(primary.connection), "step \(step)")
                try Self.expectPagesEqual(primary: primary.image(), replica: replica.files.database)
            }
            #expect(applied >= 40, "most steps commit a transaction")
        }
    }

    /// Several transactions applied as one group (a shrinking VACUUM followed by growth among them) give the same
    /// file as applying them one by one.
    @Test func groupedApplyEqualsThePrimary() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try WALPrimary(path: directory + "/primary.db")
            try primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, payload BLOB)")
            let replica = try TestReplica(path: directory + "/replica.db", primary: primary)
            var random = SeededGenerator(seed: 81)
            var frames: [(number: UInt32, frame: WALFrame)] = []
            for step in 0..<40 {
                try primary.execute(Self.randomStatement(step: step, using: &random))
                if step % 7 == 3 { try primary.execute("INSERT INTO t(name, payload) VALUES ('grow', randomblob(20000))") }
                frames += try primary.newFrames()
                if step % 10 == 9 {
                    try replica.applyGrouped(frames, size: 4)
                    frames = []
                    #expect(try integrityCheck(replica.files.database) == "ok", "step \(step)")
                    #expect(try dump(replica.files.database) == dump(primary.connection), "step \(step)")
                    try Self.expectPagesEqual(primary: primary.image(), replica: replica.files.database)
                }
            }
        }
    }

    /// Inserts, updates, deletes, DDL, indexes, overflow blobs, and VACUUM (which shrinks the file).
    static func randomStatement(step: Int, using random: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0...2:
            let rows = (0..<Int.random(in: 1...40, using: &random)).map { _ in
                "('n\(Int.random(in: 0...1_000_000, using: &random))', randomblob(\(Int.random(in: 0...300, using: &random))))"
            }
            return "INSERT INTO t(name, payload) VALUES \(rows.joined(separator: ","))"
        case 3:
            return "INSERT INTO t(name, payload) VALUES ('big\(step)', randomblob(\(Int.random(in: 5000...40000, using: &random))))"
        case 4:
            return "UPDATE t SET name = name || 'x' WHERE id % \(Int.random(in: 2...7, using: &random)) = 0"
        case 5:
            return "DELETE FROM t WHERE id % \(Int.random(in: 2...5, using: &random)) = 1"
        case 6:
            return step % 2 == 0 ? "CREATE INDEX IF NOT EXISTS t_name ON t(name)" : "DROP INDEX IF EXISTS t_name"
        case 7:
            return step % 2 == 0
                ? "CREATE TABLE IF NOT EXISTS extra(k TEXT PRIMARY KEY, v) WITHOUT ROWID; INSERT OR REPLACE INTO extra VALUES ('k\(step)', \(step))"
                : "DROP TABLE IF EXISTS extra"
        case 8:
            return "DELETE FROM t WHERE id > (SELECT max(id) FROM t) - 30; VACUUM"
        default:
            return "PRAGMA user_version = \(step)"
        }
    }

    /// Pages 2…N are byte-identical; page 1 differs at most in the journal-mode bytes, the change counter and
    /// the version-valid-for / SQLite-version fields.
    static func expectPagesEqual(primary: [UInt8], replica path: String) throws {
        let replica = try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) })
        #expect(replica.count == primary.count)
        guard replica.count == primary.count, replica.count >= 4096 else { return }
        let ignored: Set<Int> = Set([18, 19]).union(24..<28).union(92..<100)
        let differing = (0..<4096).filter { !ignored.contains($0) && replica[$0] != primary[$0] }
        #expect(differing.isEmpty, "page 1 differs at \(differing.prefix(8))")
        #expect(replica[4096...] == primary[4096...])
    }

    @Test func warmReaderSeesSameSizeUpdate() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try WALPrimary(path: directory + "/primary.db")
            try primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'aaaa')")
            let replica = try TestReplica(path: directory + "/replica.db", primary: primary)
            let reader = try SQLiteConnection(path: replica.files.database, mode: .readOnly, create: false)
            #expect(try value(reader) == "aaaa")
            try primary.execute("UPDATE t SET v = 'bbbb' WHERE id = 1")
            let frames = try primary.newFrames()
            #expect(!frames.contains { $0.frame.pageNumber == 1 }, "the update must not touch page 1")
            try replica.apply(frames)
            #expect(try value(reader) == "bbbb")
        }
    }

    /// Negative control: without the change-counter bump, an open connection keeps its stale page cache.
    @Test func withoutCounterBumpWarmReaderStaysStale() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try WALPrimary(path: directory + "/primary.db")
            try primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'aaaa')")
            let replica = try TestReplica(path: directory + "/replica.db", primary: primary)
            let reader = try SQLiteConnection(path: replica.files.database, mode: .readOnly, create: false)
            #expect(try value(reader) == "aaaa")
            try primary.execute("UPDATE t SET v = 'bbbb' WHERE id = 1")
            try replica.apply(try primary.newFrames(), bumpCounter: false)
            #expect(try value(reader) == "aaaa")
            let fresh = try SQLiteConnection(path: replica.files.database, mode: .readOnly, create: false)
            #expect(try value(fresh) == "bbbb")
        }
    }

    private func value(_ connection: SQLiteConnection) throws -> String {
        let statement = try #require(try connection.prepare("SELECT v FROM t WHERE id = 1").statement)
        _ = try statement.step()
        return plain(try statement.value(at: 0))
    }

    /// A reader polling an invariant (the sum of a column, constant across every primary transaction) while
    /// transactions are applied never sees a half-applied one, and ends on the final state.
    @Test func readersNeverSeeHalfATransaction() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try WALPrimary(path: directory + "/primary.db")
            try primary.execute("""
                CREATE TABLE account(id INTEGER PRIMARY KEY, balance INTEGER, pad BLOB);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
                INSERT INTO account SELECT i, 100, randomblob(200) FROM n;
                """)
            let replica = try TestReplica(path: directory + "/replica.db", primary: primary)
            var batches: [[(number: UInt32, frame: WALFrame)]] = []
            for step in 0..<40 {
                // Moves money between rows far apart (different pages): the total stays 40 000.
                try primary.execute("""
                    BEGIN; UPDATE account SET balance = balance - \(step + 1) WHERE id = \(1 + step);
                    UPDATE account SET balance = balance + \(step + 1) WHERE id = \(400 - step); COMMIT;
                    """)
                batches.append(try primary.newFrames())
            }
            let path = replica.files.database
            let reader = Task.detached { () throws -> (reads: Int, bad: Int) in
                let connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
                connection.setBusyTimeout(.seconds(10))
                var reads = 0, bad = 0
                let deadline = ContinuousClock.now + .seconds(60)
                while !Task.isCancelled, ContinuousClock.now < deadline {
                    let statement = try #require(try connection.prepare("SELECT sum(balance) FROM account").statement)
                    _ = try statement.step()
                    if case .integer(let sum) = try statement.value(at: 0), sum != 40_000 { bad += 1 }
                    reads += 1
                }
                return (reads, bad)
            }
            for batch in batches {
                try replica.apply(batch)
                await Task.yield()
            }
            try await Task.sleep(for: .milliseconds(50))
            reader.cancel()
            let (reads, bad) = try await reader.value
            #expect(reads > 0)
            #expect(bad == 0)
            #expect(try dump(path) == dump(primary.connection))
        }
    }

    @Test func refusesAFileSwitchedToWALMode() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try WALPrimary(path: directory + "/primary.db")
            try primary.execute("CREATE TABLE t(x)")
            let replica = try TestReplica(path: directory + "/replica.db", primary: primary)
            let intruder = try SQLiteConnection(path: replica.files.database)
            #expect(try intruder.journalMode("wal") == "wal")
            intruder.close()
            try primary.execute("INSERT INTO t VALUES (1)")
            #expect(throws: LocalDrift.self) { try replica.apply(try primary.newFrames()) }
        }
    }

    @Test func detectsALocalWrite() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try WALPrimary(path: directory + "/primary.db")
            try primary.execute("CREATE TABLE t(x)")
            let replica = try TestReplica(path: directory + "/replica.db", primary: primary)
            let intruder = try SQLiteConnection(path: replica.files.database)
            try intruder.execute(script: "INSERT INTO t VALUES ('local')")
            intruder.close()
            try primary.execute("INSERT INTO t VALUES (1)")
            #expect(throws: LocalDrift.self) { try replica.apply(try primary.newFrames()) }
            #expect(!LocalFiles.exists(replica.files.journal))
        }
    }
}
