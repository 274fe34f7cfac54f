import Foundation
import LibSQLClient
import LibSQLServer
import Synchronization
@testable import Replica

/// Runs our server (replication on) on a temporary database with a remote client for writes.
func withReplicationServer<T: Sendable>(
    directory: String, port: Int = 0, authToken: String? = nil, framesPerGeneration: Int = 2000,
    keepGenerations: Int? = nil, _ body: (RunningServer, Database) async throws -> T
) async throws -> T {
    var configuration = ServerConfiguration(databasePath: directory + "/primary.db", port: port, authToken: authToken)
    configuration.replication.isEnabled = true
    configuration.replication.maxFramesPerGeneration = framesPerGeneration
    configuration.replication.keepGenerations = keepGenerations
    configuration.replication.pollInterval = .milliseconds(20)
    return try await HranaServer.withRunning(configuration) { server in
        let client = try Database(url: server.url.absoluteString, authToken: authToken)
        do {
            let result = try await body(server, client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

/// The primary's logical content read over Hrana, in the same form as ``dump(_:)`` of a file.
func remoteDump(_ database: Database) async throws -> [String] {
    var lines: [String] = []
    var tables: [String] = []
    for row in try await database.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name").rows {
        lines.append(row.values.map(plain).joined(separator: "|"))
        if case .text("table") = row.values[0], case .text(let name) = row.values[1], !name.hasPrefix("sqlite_") {
            tables.append(name)
        }
    }
    for table in tables {
        let sql = "SELECT * FROM \"\(table)\""
        let rows = try await database.execute(Statement(sql)).rows
        lines.append(contentsOf: rows.map { $0.values.map(plain).joined(separator: "|") }.sorted().map { "\(table): \($0)" })
    }
    return lines
}

/// A transport that passes requests to a real one and can break chosen `/sync` responses on the way back.
final class FaultyTransport: HTTPTransport {
    enum Fault: Sendable {
        /// Throws as a connection reset would.
        case connectionReset
        /// Cuts the body to this many bytes.
        case truncate(Int)
        /// Keeps only the frames before the response's last commit frame, then answers the next `/sync` with
        /// `400 {"generation": same}` as if the generation ended inside a transaction.
        case endInsideTransaction
        /// Never answers (until cancelled).
        case stall
        /// Answers 410 Gone, as a server that no longer keeps the generation does.
        case gone
    }

    private let inner: any HTTPTransport
    private let faults = Mutex<(pending: [Fault], fakeEnd: UInt32?, syncRequests: Int)>(([], nil, 0))
    private let goneAsEnd = Mutex<UInt32?>(nil)

    init(_ inner: any HTTPTransport) {
        self.inner = inner
    }

    /// Breaks the next `/sync` response that carries frames.
    func inject(_ fault: Fault) {
        faults.withLock { $0.pending.append(fault) }
    }

    var syncRequests: Int { faults.withLock { $0.syncRequests } }

    /// From now on answers a `/sync` that got 404 or 410 with `400 {"generation": generation}` instead, as a
    /// primary that names its current generation for any history it does not have.
    func answerGoneAsEndOfGeneration(_ generation: UInt32?) {
        goneAsEnd.withLock { $0 = generation }
    }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        let isSync = request.url.path.hasPrefix("/sync/")
        if isSync {
            let fakeEnd = faults.withLock { state -> UInt32? in
                state.syncRequests += 1
                defer { state.fakeEnd = nil }
                return state.fakeEnd
            }
            if let fakeEnd {
                return HTTPResponse(status: 400, headers: [:], body: HTTPBody(Data("{\"generation\":\(fakeEnd)}".utf8)))
            }
        }
        let response = try await inner.send(request, body: body)
        if isSync, response.status == 404 || response.status == 410, let generation = goneAsEnd.withLock({ $0 }) {
            return HTTPResponse(status: 400, headers: [:], body: HTTPBody(Data("{\"generation\":\(generation)}".utf8)))
        }
        guard isSync, response.status == 200 else { return response }
        let fault = faults.withLock { state -> Fault? in state.pending.isEmpty ? nil : state.pending.removeFirst() }
        guard let fault else { return response }
        let data = try await response.body.collect(upTo: 64 << 20)
        switch fault {
        case .connectionReset:
            throw URLError(.networkConnectionLost)
        case .truncate(let count):
            return HTTPResponse(status: 200, headers: [:], body: HTTPBody(data.prefix(count)))
        case .endInsideTransaction:
            let frames = try WALFrame.parse(data)
            let keep = (frames.lastIndex { $0.isCommit } ?? frames.count)
            let generation = UInt32(request.url.pathComponents[2]) ?? 1
            faults.withLock { $0.fakeEnd = generation }
            guard keep > 0 else {
                return HTTPResponse(status: 400, headers: [:], body: HTTPBody(Data("{\"generation\":\(generation)}".utf8)))
            }
            return HTTPResponse(status: 200, headers: [:], body: HTTPBody(data.prefix(keep * WALFrame.size)))
        case .stall:
            try await Task.sleep(for: .seconds(3600))
            return response
        case .gone:
            return HTTPResponse(status: 410, headers: [:], body: HTTPBody(Data("generation gone".utf8)))
        }
    }

    func shutdown() async throws {
        try await inner.shutdown()
    }
}
