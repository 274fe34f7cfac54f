import Foundation
import Hrana
@testable import LibSQLServer
import Testing

/// A database folder that outlives one server run, for restart tests.
struct ReplicationFolder: Sendable {
    let url: URL
    var databasePath: String { url.appendingPathComponent("primary.db").path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("replication-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Runs a server on this folder's database with small generations unless `configure` says otherwise.
    func withServer<T: Sendable>(
        configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (ServerHarness) async throws -> T
    ) async throws -> T {
        var configuration = ServerConfiguration(databasePath: databasePath, port: 0)
        configuration.replication.isEnabled = true
        configuration.replication.pollInterval = .milliseconds(20)
        configure(&configuration)
        let path = databasePath
        return try await HranaServer.withRunning(configuration) { server in
            try await body(ServerHarness(server: server, databasePath: path))
        }
    }
}

/// libSQL's sync protocol v2 as the tests speak it.
extension ServerHarness {
    /// A fresh server with replication on.
    static func withReplication<T: Sendable>(
        configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (ServerHarness) async throws -> T
    ) async throws -> T {
        try await withServer(configure: { configuration in
            configuration.replication.isEnabled = true
            configure(&configuration)
        }, body)
    }

    func currentGeneration(token: String? = nil) async throws -> Int {
        let result = try await request(.GET, "/info", headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        #expect(result.status == 200, "\(result.text)")
        return try #require(try result.json()["current_generation"] as? Int)
    }

    func export(_ generation: Int) async throws -> Data {
        let result = try await request(.GET, "/export/\(generation)")
        #expect(result.status == 200, "\(result.text)")
        return result.body
    }

    /// Pulls every frame of `generation` from frame 1 the way libSQL's client does (128 per request),
    /// and returns them with the generation the final 400 announced.
    func pullGeneration(_ generation: Int, from start: Int = 1) async throws -> (frames: [Data], current: Int) {
        var frames: [Data] = []
        var next = start
        for _ in 0..<10_000 {
            let result = try await request(.GET, "/sync/\(generation)/\(next)/\(next + 128)")
            if result.status == 400 {
                return (frames, try #require(try result.json()["generation"] as? Int))
            }
            try #require(result.status == 200, "\(result.status) \(result.text)")
            #expect(result.contentType == "application/octet-stream")
            try #require(!result.body.isEmpty && result.body.count % WALFormat.frameSize == 0)
            for offset in stride(from: 0, to: result.body.count, by: WALFormat.frameSize) {
                frames.append(result.body.subdata(in: offset..<(offset + WALFormat.frameSize)))
            }
            next += result.body.count / WALFormat.frameSize
        }
        Issue.record("the pull did not end")
        return (frames, -1)
    }

    /// Waits (bounded) until `/info` reports a generation above `generation`.
    func waitForGeneration(above generation: Int) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let current = try await currentGeneration()
            if current > generation { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no generation after \(generation) within 30 s")
        return generation
    }

    /// Waits until `/info` has reported the same generation for `quiet` (the last cut, and the retention that
    /// follows it, are done), or until `deadline`; returns the generation last reported.
    func settledGeneration(quiet: Duration, deadline: ContinuousClock.Instant) async throws -> Int {
        var current = try await currentGeneration()
        var stableSince = ContinuousClock.now
        while ContinuousClock.now < deadline, ContinuousClock.now - stableSince < quiet {
            try await Task.sleep(for: .milliseconds(20))
            let now = try await currentGeneration()
            if now != current { (current, stableSince) = (now, .now) }
        }
        return current
    }
}

/// Applies v2 frames to a database image as a replica does: each page at its place; a commit frame sets
/// the size. Only complete transactions are applied.
enum FrameApplier {
    static func apply(_ frames: [Data], to image: Data) -> Data {
        var database = [UInt8](image)
        var pending: [(page: Int, bytes: Data)] = []
        for frame in frames {
            let bytes = [UInt8](frame)
            let page = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            let size = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
            pending.append((page, frame.subdata(in: WALFormat.frameHeaderSize..<WALFormat.frameSize)))
            guard size != 0 else { continue }
            for (page, content) in pending {
                let offset = (page - 1) * WALFormat.pageSize
                if database.count < offset + WALFormat.pageSize {
                    database += [UInt8](repeating: 0, count: offset + WALFormat.pageSize - database.count)
                }
                database.replaceSubrange(offset..<(offset + WALFormat.pageSize), with: content)
            }
            pending.removeAll()
            database = Array(database.prefix(size * WALFormat.pageSize))
            if database.count < size * WALFormat.pageSize {
                database += [UInt8](repeating: 0, count: size * WALFormat.pageSize - database.count)
            }
        }
        return Data(database)
    }

    /// The image with the journal-mode bytes (18, 19) cleared: the digest allows them to differ.
    static func comparable(_ image: Data) -> Data {
        var copy = image
        if copy.count > 19 { copy[18] = 0; copy[19] = 0 }
        return copy
    }
}
