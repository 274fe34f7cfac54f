import Foundation
import Testing

/// Another process checkpoints while the server runs. It has to be another process: a second descriptor
/// on the database opened and closed in this one would drop the server's own POSIX locks.
@Suite("Replication pin")
struct ReplicationPinTests {
    static let hasPython = ReplicaInteropTests.importable("sqlite3")

    @Test("an outside TRUNCATE checkpoint is refused while the server pins the WAL; the outside write is captured",
          .enabled(if: hasPython, "python3 with its sqlite3 module is needed as the outside process"))
    func outsideCheckpointIsRefused() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer { harness throws in
            _ = try await harness.query("CREATE TABLE t(v)")
            _ = try await harness.query("INSERT INTO t VALUES ('server')")
            let (before, _) = try await harness.pullGeneration(1)
            let script = """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                print(c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()[0])
                c.execute("INSERT INTO t VALUES ('outsider')")
                c.close()
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, folder.databasePath]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            process.waitUntilExit()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0)
            #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "the checkpoint was busy: \(printed)")
            #expect(try await harness.currentGeneration() == 1)
            let (after, current) = try await harness.pullGeneration(1)
            #expect(current == 1)
            #expect(after.prefix(before.count) == before[...])
            #expect(after.count > before.count, "the outside insert is a frame of the same generation")
            let rows = try await harness.query("SELECT v FROM t ORDER BY rowid").rows
            #expect(rows == [[.text("server")], [.text("outsider")]])
        }
    }
}
