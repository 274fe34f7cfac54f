import Foundation
import Hrana
@testable import LibSQLServer
import Testing

/// `/export/{g}` of a large image: streamed in chunks from a descriptor opened before the answer, so a purge during
/// the download does not cut it and slow downloads do not hold images in memory.
@Suite("Replication export", .serialized)
struct ReplicationExportTests {
    /// Fills the database with `megabytes` of random blobs and waits until a cut has archived them: the live
    /// generation then starts with them, and its export is that large.
    static func largeLiveGeneration(_ harness: ServerHarness, megabytes: Int) async throws -> Int {
        _ = try await harness.query("CREATE TABLE big(b BLOB)")
        for _ in 0..<megabytes { _ = try await harness.query("INSERT INTO big VALUES (randomblob(1000000))") }
        return try await harness.settledGeneration(quiet: .milliseconds(500), deadline: .now + .seconds(30))
    }

    /// Sends `GET /export/{generation}` on a socket with a small receive buffer and reads the head: returns the
    /// socket, mid-download, and the announced length.
    static func startSlowDownload(_ harness: ServerHarness, generation: Int) async throws -> (RawSocket, Int) {
        let socket = try RawSocket(port: harness.server.port, receiveBuffer: 16 * 1024)
        socket.send("GET /export/\(generation) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let head = try await RawSocket.blocking { socket.receiveHeadBytes() }
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        let length = head.split(separator: "\r\n").lazy
            .compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first
        return (socket, try #require(length, "no Content-Length in \(head)"))
    }

    @Test("an export being downloaded stays whole when its generation is purged and its file unlinked meanwhile")
    func exportSurvivesPurge() async throws {
        let folder = try ReplicationFolder()
        defer { folder.remove() }
        try await folder.withServer(configure: {
            $0.replication.maxFramesPerGeneration = 3
            $0.replication.keepGenerations = 1
        }) { harness throws in
            let generation = try await Self.largeLiveGeneration(harness, megabytes: 16)
            let expected = try await harness.export(generation)
            #expect(expected.count > 16_000_000)

            let (socket, length) = try await Self.startSlowDownload(harness, generation: generation)
            #expect(length == expected.count)
            let first = try await RawSocket.blocking { socket.receiveBytes(64 * 1024) }

            _ = try await ReplicationRetentionTests.cutSeveralGenerations(harness, cuts: 2)
            #expect(try await ReplicationRetentionTests.status(harness, "/export/\(generation)") == 410)
            #expect(!ReplicationRetentionTests.archived(folder, generation), "the image's file was unlinked")

            let rest = try await RawSocket.blocking { socket.receiveBytes(length - first.count) }
            #expect(first.count + rest.count == length, "the download ended after \(first.count + rest.count) of \(length) bytes")
            #expect(Data(first + rest) == expected)
        }
    }

    @Test("stalled downloads of a large export hold a few chunks each in the server's memory, not the image")
    func stalledDownloadsStayBounded() async throws {
        try await ServerHarness.withReplication(configure: { $0.replication.maxFramesPerGeneration = 3 }) { harness in
            let generation = try await Self.largeLiveGeneration(harness, megabytes: 32)
            let before = ProcessUsage.now()
            var downloads: [(RawSocket, Int)] = []
            for _ in 0..<8 { downloads.append(try await Self.startSlowDownload(harness, generation: generation)) }
            // Let the server fill what the sockets take before back-pressure stops it.
            try await Task.sleep(for: .milliseconds(500))
            let during = ProcessUsage.now()
            let length = try #require(downloads.first?.1)
            #expect(length > 32_000_000)
            // Holding the images would take 8 × 32 MB at least.
            #expect(during.residentKB - before.residentKB < 64 * 1024, "before: \(before), during: \(during)")

            for (socket, length) in downloads {
                let body = try await RawSocket.blocking { socket.receiveBytes(length) }
                #expect(body.count == length)
            }
        }
    }
}
