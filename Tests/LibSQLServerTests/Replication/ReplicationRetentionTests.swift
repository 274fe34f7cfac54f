import Foundation
import Hrana
@testable import LibSQLServer
import Testing

@Suite("Replication retention")
struct ReplicationRetentionTests {
    /// Writes rows (one every 30 ms, so that the capture sees them in several rounds) until the primary has cut
    /// `cuts` more generations, then waits until the generation stops moving (the last cut, and the retention that
    /// follows it, are done). Bounded: 30 s.
    static func cutSeveralGenerations(_ harness: ServerHarness, cuts: Int = 4) async throws -> Int {
        _ = try await harness.query("CREATE TABLE IF NOT EXISTS t(v)")
        let start = try await harness.currentGeneration()
        var current = start
        let deadline = ContinuousClock.now + .seconds(30)
        var index: Int64 = 0
        while current < start + cuts, ContinuousClock.now < deadline {
            _ = try await harness.query("INSERT INTO t VALUES (?)", [.integer(index)])
            index += 1
            try await Task.sleep(for: .milliseconds(30))
            current = try await harness.currentGeneration()
        }
        current = try await harness.settledGeneration(quiet: .milliseconds(400), deadline: deadline)
        #expect(current >= start + cuts, "the primary cut \(current - start) generations")
        return current
    }

    static func status(_ harness: ServerHarness, _ path: String) async throws -> Int {
        try await harness.request(.GET, path).status
    }

    static func archived(_ folder: ReplicationFolder, _ generation: Int) -> Bool {
        let directory = folder.databasePath + "-replication"
        return FileManager.default.fileExists(atPath: "\(directory)/\(generation).frames")
            || FileManager.default.fileExists(atPath: "\(directory)/\(generation).export")
    }

    @Test("--keep-generations K: older generations answer 410 on /sync and /export, their files are gone, also after a restart")
    func keepsTheLastGenerations() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        let configure: (inout ServerConfiguration) -> Void = {
            $0.replication.maxFramesPerGeneration = 3
            $0.replication.keepGenerations = 2
        }
        for run in 0..<2 {
            try await folder.withServer(configure: configure) { harness throws in
                let current = try await Self.cutSeveralGenerations(harness)
                #expect(current >= 4, "run \(run)")
                for generation in 1..<(current - 1) {
                    #expect(try await Self.status(harness, "/sync/\(generation)/1/129") == 410, "generation \(generation)")
                    #expect(try await Self.status(harness, "/export/\(generation)") == 410, "generation \(generation)")
                    #expect(!Self.archived(folder, generation), "generation \(generation)")
                }
                #expect(try await Self.status(harness, "/sync/\(current - 1)/1/129") == 200)
                #expect(try await Self.status(harness, "/export/\(current - 1)") == 200)
                #expect(try await Self.status(harness, "/export/\(current)") == 200)
                let state = try JSONDecoder().decode(
                    ReplicationState.self,
                    from: Data(contentsOf: URL(fileURLWithPath: folder.databasePath + "-replication/state.json")))
                #expect(state.closed.keys.map(Int.init) == [current - 1])
                let files = try FileManager.default.contentsOfDirectory(atPath: folder.databasePath + "-replication")
                let generations = Set(files.compactMap { $0.hasSuffix(".tmp") ? nil : Int($0.split(separator: ".")[0]) })
                #expect(generations == [current - 1, current], "\(files.sorted())")
            }
        }
    }

    @Test("maxArchiveBytes: closed generations are purged until the archive fits; the live one is always served")
    func boundsTheArchiveSize() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer(configure: {
            $0.replication.maxFramesPerGeneration = 3
            $0.replication.maxArchiveBytes = 1
        }) { harness throws in
            let current = try await Self.cutSeveralGenerations(harness)
            #expect(current >= 3)
            for generation in 1..<current {
                #expect(try await Self.status(harness, "/sync/\(generation)/1/129") == 410, "generation \(generation)")
                #expect(!Self.archived(folder, generation), "generation \(generation)")
            }
            #expect(try await Self.status(harness, "/export/\(current)") == 200)
            _ = try await harness.query("INSERT INTO t VALUES ('live')")
            #expect(try await Self.status(harness, "/sync/\(current)/1/129") == 200)
        }
    }

    @Test("without limits every generation is kept")
    func keepsEverythingByDefault() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer(configure: { $0.replication.maxFramesPerGeneration = 3 }) { harness throws in
            let current = try await Self.cutSeveralGenerations(harness)
            for generation in 1..<current {
                #expect(try await Self.status(harness, "/sync/\(generation)/1/129") == 200, "generation \(generation)")
            }
        }
    }
}
