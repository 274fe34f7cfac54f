import Foundation
import Hrana
import Logging
import Synchronization
@testable import LibSQLServer

/// What the `server-pipeline` fuzz target (`Fuzz/run.sh`) does with one input: the server's request path
/// below HTTP. The body is decoded as a pipeline request, checked against the protocol version, run on a new
/// stream of a database in a temporary folder (inline first, then blocking, as `PipelineEndpoint` does),
/// and its response encoded as the server encodes it. Also compiled into the fuzz binary, so a saved input
/// replays here through the same code.
///
/// Properties: nothing traps; a body that does not decode, or asks for what the version lacks, is refused
/// before anything runs (the server's 400); every pipeline that runs has an encodable response (never a
/// 500 for a client's input); the stream closes and the database stays usable.
enum PipelineFuzzEntries {
    static let database: EngineDatabase = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = EngineConfiguration(databasePath: folder.appendingPathComponent("fuzz.db").path)
        configuration.busyTimeout = .milliseconds(100)
        configuration.maxResponseSize = 1 << 20
        return try! EngineDatabase(configuration: configuration, logger: Logger(label: "fuzz"))
    }()

    /// The first byte picks the protocol version; the rest is the body.
    static func pipeline(_ data: Data) {
        guard let first = data.first else { return }
        let version: ProtocolVersion = first & 1 == 0 ? .v2 : .v3
        guard let body = try? HranaJSON.decode(PipelineRequest.self, from: data.dropFirst()) else { return }
        guard !body.requests.contains(where: { $0.minimumVersion > version }) else { return }
        guard let stream = try? database.openStream() else { fatalError("the database refused a new stream") }
        // A real server lets a statement run as long as it likes; here each is stopped within about 100 ms.
        Watchdog.shared.watch(stream)
        defer { Watchdog.shared.watch(nil) }
        var progress = PipelineProgress()
        if PipelineRunner.mayStartInline(body.requests) {
            PipelineRunner.run(body.requests, on: stream, version: version, progress: &progress, inlineLimit: .microseconds(200))
        }
        if progress.failure == nil && progress.completed < body.requests.count {
            PipelineRunner.run(body.requests, on: stream, version: version, progress: &progress)
        }
        stream.close()
        guard progress.failure == nil else { return }
        let response = PipelineResponse(baton: nil, baseURL: nil, results: progress.results)
        do {
            _ = try HranaJSON.encode(response, nonFiniteFloatsAsNull: true)
        } catch {
            fatalError("a pipeline that ran has no encodable response: \(error)")
        }
    }
}

/// One thread for the whole process that interrupts the watched stream's statement every 100 ms.
private final class Watchdog: Sendable {
    static let shared = Watchdog()
    private let watched = Mutex<HranaStream?>(nil)

    private init() {
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                watched.withLock { $0?.interrupt() }
            }
        }
    }

    func watch(_ stream: HranaStream?) {
        watched.withLock { $0 = stream }
    }
}
