import Foundation
import Hrana
@testable import LibSQLServer
import Testing

@Suite("Replication generations")
struct ReplicationGenerationTests {
    /// Every kind of write a replica must follow: inserts, updates, deletes, DDL, a blob over many pages
    /// (overflow pages), and a VACUUM that shrinks the file.
    static func workload(_ harness: ServerHarness) async throws {
        _ = try await harness.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
        for index in 0..<40 { _ = try await harness.query("INSERT INTO t(v) VALUES (?)", [.text(String(repeating: "x", count: 300) + "\(index)")]) }
        _ = try await harness.query("UPDATE t SET v = 'updated' WHERE id % 3 = 0")
        _ = try await harness.query("DELETE FROM t WHERE id % 5 = 0")
        _ = try await harness.query("CREATE INDEX t_v ON t(v)")
        _ = try await harness.query("INSERT INTO t(v, b) VALUES ('blob', ?)", [.blob(Data((0..<40_000).map { UInt8($0 % 251) }))])
        _ = try await harness.query("DROP INDEX t_v")
        _ = try await harness.query("DELETE FROM t WHERE b IS NOT NULL")
        _ = try await harness.query("VACUUM")
    }

    @Test("export(g) + frames(g) == export(g+1) byte for byte (bytes 18/19 aside), over several cuts")
    func exportPlusFrames() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer(configure: { $0.replication.maxFramesPerGeneration = 8 }) { harness throws in
            try await Self.workload(harness)
            // The workload can finish between two capture rounds (one cut for all of it): write on until more cuts.
            let deadline = ContinuousClock.now + .seconds(30)
            while try await harness.currentGeneration() <= 3, ContinuousClock.now < deadline {
                _ = try await harness.query("INSERT INTO t(v) VALUES ('more')")
                try await Task.sleep(for: .milliseconds(30))
            }
            let last = try await harness.waitForGeneration(above: 3)
            var generation = 1
            var checked = 0
            while generation < last {
                let export = try await harness.export(generation)
                let (frames, current) = try await harness.pullGeneration(generation)
                #expect(current >= generation + 1, "the end of a closed generation names the current one")
                let next = try await harness.export(generation + 1)
                let applied = FrameApplier.apply(frames, to: export)
                #expect(applied.count == next.count, "generation \(generation)")
                #expect(FrameApplier.comparable(applied) == FrameApplier.comparable(next), "generation \(generation)")
                checked += 1
                generation += 1
            }
            #expect(checked >= 3)
        }
    }

    @Test("the end of a closed generation answers 400 with the CURRENT generation, and older ones stay served")
    func endOfClosedGeneration() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer(configure: { $0.replication.maxFramesPerGeneration = 3 }) { harness throws in
            _ = try await harness.query("CREATE TABLE t(v)")
            for index in 0..<6 { _ = try await harness.query("INSERT INTO t VALUES (?)", [.integer(Int64(index))]) }
            let current = try await harness.waitForGeneration(above: 1)
            let (frames, announced) = try await harness.pullGeneration(1)
            #expect(!frames.isEmpty)
            #expect(announced == current || announced > current)
            let later = try await harness.currentGeneration()
            let end = try await harness.request(.GET, "/sync/1/\(frames.count + 1)/\(frames.count + 129)")
            #expect(end.status == 400)
            #expect(try end.json()["generation"] as? Int ?? 0 >= later)
        }
    }

    @Test("a time threshold cuts a generation that has frames, never an empty one")
    func timeThreshold() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer(configure: { $0.replication.maxGenerationAge = .milliseconds(100) }) { harness throws in
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await harness.currentGeneration() == 1, "no frames, no cut")
            _ = try await harness.query("CREATE TABLE t(v)")
            #expect(try await harness.waitForGeneration(above: 1) == 2)
        }
    }

    @Test("an export fetched the moment its generation appears is whole, while writers keep forcing cuts")
    func exportsDuringCuts() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer(configure: { $0.replication.maxFramesPerGeneration = 16 }) { harness throws in
            _ = try await harness.query("CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)")
            // About 2 MB, so that copying an export takes a while.
            for _ in 0..<64 { _ = try await harness.query("INSERT INTO t(b) VALUES (randomblob(32768))") }
            // Writes go on until the checks are done (at most 20,000), so that slow polling still sees new generations.
            let writing = Task {
                for _ in 0..<20_000 where !Task.isCancelled {
                    _ = try await harness.query("INSERT INTO t(b) VALUES (randomblob(3000))")
                }
            }
            defer { writing.cancel() }
            var seen = try await harness.currentGeneration()
            var checked = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while checked < 8, ContinuousClock.now < deadline {
                let current = try await harness.currentGeneration()
                guard current > seen else { continue }
                seen = current
                let image = try await harness.export(current)
                // The header names the page count and size of the whole image: a partly copied file is shorter.
                try #require(image.count >= 100)
                let pageSize = Int(image[16]) << 8 | Int(image[17])
                let pages = image[28..<32].reduce(0) { $0 << 8 | Int($1) }
                #expect(image.count == pages * pageSize, "generation \(current): \(image.count) bytes, header says \(pages) x \(pageSize)")
                checked += 1
            }
            #expect(checked >= 8, "only \(checked) new generations appeared")
            writing.cancel()
            _ = try? await writing.value
        }
    }
}
