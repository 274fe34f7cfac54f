import Foundation
import Hrana
@testable import LibSQLServer
import SQLiteCore
import Testing

@Suite("Replication across restarts")
struct ReplicationRestartTests {
    @Test("a clean stop cuts the generation: the next start serves the next one, and the old frames stay")
    func cleanRestart() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        let (firstFrames, export1) = try await folder.withServer { harness throws in
            _ = try await harness.query("CREATE TABLE t(v)")
            _ = try await harness.query("INSERT INTO t VALUES ('before the restart')")
            return (try await harness.pullGeneration(1).frames, try await harness.export(1))
        }
        try await folder.withServer { harness throws in
            #expect(try await harness.currentGeneration() == 2)
            let (again, current) = try await harness.pullGeneration(1)
            #expect(again == firstFrames, "generation 1 is served from the archive, unchanged")
            #expect(current == 2)
            let export2 = try await harness.export(2)
            #expect(FrameApplier.comparable(FrameApplier.apply(firstFrames, to: export1)) == FrameApplier.comparable(export2))
            _ = try await harness.query("INSERT INTO t VALUES ('after')")
            let (frames2, _) = try await harness.pullGeneration(2)
            #expect(!frames2.isEmpty)
        }
        try await folder.withServer { harness throws in
            #expect(try await harness.currentGeneration() == 3, "generation numbers are never reused")
        }
    }

    @Test("a stop without writes keeps the generation")
    func idleRestart() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer { harness throws in #expect(try await harness.currentGeneration() == 1) }
        try await folder.withServer { harness throws in #expect(try await harness.currentGeneration() == 1) }
    }

    @Test("a write and checkpoint by another process while the server is down starts a new generation; the old answers 410")
    func externalCheckpoint() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer { harness throws in
            _ = try await harness.query("CREATE TABLE t(v)")
        }
        // Another program writes while the server is down; its close checkpoints and deletes the WAL.
        let outsider = try SQLiteConnection(path: folder.databasePath)
        try outsider.execute(script: "INSERT INTO t VALUES ('outsider')")
        outsider.close()
        try await folder.withServer { harness throws in
            let current = try await harness.currentGeneration()
            #expect(current == 3, "generation 2 (after the clean stop) lost its lineage")
            #expect(try await harness.request(.GET, "/sync/2/1/129").status == 410)
            #expect(try await harness.request(.GET, "/export/2").status == 410)
            let (frames1, _) = try await harness.pullGeneration(1)
            #expect(!frames1.isEmpty, "closed generations before it are still served")
            let export = try await harness.export(current)
            let image = folder.url.appendingPathComponent("export.db")
            try export.write(to: image)
            let reader = try SQLiteConnection(path: image.path)
            defer { reader.close() }
            let (statement, _) = try reader.prepare("SELECT count(*) FROM t WHERE v = 'outsider'")
            let row = try #require(statement)
            #expect(try row.step())
            #expect(try row.value(at: 0) == .integer(1))
        }
    }

    @Test("writes by another process that leave the WAL in place continue the generation")
    func externalWriteWithoutCheckpoint() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer { harness throws in _ = try await harness.currentGeneration() }
        let outsider = try SQLiteConnection(path: folder.databasePath)
        try outsider.keepWAL()
        try outsider.execute(script: "CREATE TABLE t(v); INSERT INTO t VALUES ('outsider')")
        outsider.close()
        try await folder.withServer { harness throws in
            #expect(try await harness.currentGeneration() == 1)
            let (frames, _) = try await harness.pullGeneration(1)
            let applied = FrameApplier.apply(frames, to: try await harness.export(1))
            #expect(applied.count >= 2 * WALFormat.pageSize)
        }
    }
}
