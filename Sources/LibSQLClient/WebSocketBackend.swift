import Foundation
import Hrana
import Logging

/// The client over Hrana-over-WebSocket: every call runs on its own stream of the client's one socket, written
/// at once (`open_stream`, the requests, `close_stream`) and answered in order.
final class WebSocketBackend: Backend {
    let connector: WebSocketConnector

    init(connector: WebSocketConnector) {
        self.connector = connector
    }

    /// Runs the requests `make` builds for the socket's protocol version on a fresh stream closed right after them.
    private func oneShot(_ make: (ProtocolVersion) -> [StreamRequest]) async throws -> [StreamResult] {
        let session = try await connector.session()
        let requests = make(session.subprotocol.version)
        let streamID = session.allocateStreamID()
        let wire = [WebSocketRequest.openStream(streamID: streamID)]
            + requests.map { $0.webSocket(streamID: streamID) } + [.closeStream(streamID: streamID)]
        let replies = try await connector.send(wire, on: session)
        session.releaseStreamID(streamID)
        if case .failure(let error) = replies[0] { throw LibSQLError(error) }
        return zip(requests, replies.dropFirst()).map { request, reply in StreamResult(reply, for: request) }
    }

    func execute(_ statement: Statement) async throws -> ResultSet {
        try await retryingReads(logger: connector.logger, isCertainlyReadOnly(statement.sql)) {
            let results = try await oneShot { _ in [.execute(statement.hranaStmt())] }
            return try RemoteBackend.executeResult(results[0], statement: statement)
        }
    }

    func batch(
        _ statements: [Statement], mode: TransactionMode, disablingForeignKeys: Bool
    ) async throws -> [ResultSet] {
        let readOnly = mode == .read && statements.allSatisfy { isCertainlyReadOnly($0.sql) }
        return try await retryingReads(logger: connector.logger, readOnly) {
            var built: TransactionBatch?
            let results = try await oneShot { version in
                let batch = TransactionBatch.make(
                    statements, mode: mode, version: version, disablingForeignKeys: disablingForeignKeys)
                built = batch
                return [.batch(batch.batch)]
            }
            switch results[0] {
            case .ok(.batch(let result)): return try built!.resultSets(result, statements: statements)
            case .error(let error): throw LibSQLError(error)
            case .ok(let other):
                throw LibSQLError(code: .hranaProtocolError, message: "Expected a batch response, got \(other.type)")
            }
        }
    }

    func executeMultiple(_ sql: String) async throws {
        let results = try await oneShot { _ in [.sequence(sql: sql, sqlID: nil)] }
        if case .error(let error) = results[0] { throw LibSQLError(error, sql: sql) }
    }

    func beginTransaction(_ mode: TransactionMode) async throws -> any TransactionBackend {
        let session = try await connector.session()
        return RemoteTransaction(stream: WebSocketStream(connector: connector, session: session), mode: mode)
    }

    /// A cursor on its own stream (`open_cursor`, then `fetch_cursor` as rows are read); over `hrana2`, which has
    /// no cursors, the rows of one `execute`.
    func query(_ statement: Statement) async throws -> any RowSource {
        let session = try await connector.session()
        guard session.subprotocol.version >= .v3 else {
            return BufferedRowSource(rows: try await execute(statement).rows)
        }
        let streamID = session.allocateStreamID()
        let cursorID = session.allocateCursorID()
        let connector = self.connector
        let close: @Sendable () -> Void = {
            connector.runInBackground {
                _ = try? await connector.send([.closeCursor(cursorID: cursorID), .closeStream(streamID: streamID)], on: session)
                session.releaseCursorID(cursorID)
                session.releaseStreamID(streamID)
            }
        }
        let batch = Batch(steps: [BatchStep(stmt: statement.hranaStmt())])
        let replies: [WebSocketSession.Reply]
        do {
            replies = try await connector.send(
                [.openStream(streamID: streamID), .openCursor(streamID: streamID, cursorID: cursorID, batch)], on: session)
        } catch {
            close()
            throw error
        }
        for reply in replies {
            if case .failure(let error) = reply {
                close()
                throw LibSQLError(error, sql: statement.sql)
            }
        }
        return CursorRowSource(
            entries: WebSocketCursor(connector: connector, session: session, cursorID: cursorID),
            statement: statement, onFinish: close)
    }

    func updateAuthToken(_ token: String?) {
        connector.updateAuthToken(token)
    }

    func close() async {
        await connector.shutdown()
    }
}

/// The entries of a cursor over WebSocket, fetched a chunk at a time; the next chunk is asked for as soon as one
/// arrives, so one fetch is in flight while rows are read.
final class WebSocketCursor: CursorEntrySource, @unchecked Sendable {
    /// Entries asked for per `fetch_cursor`, as libsql-client-ts does.
    static let chunkSize: UInt32 = 1000

    private let connector: WebSocketConnector
    private let session: WebSocketSession
    private let cursorID: Int32
    private var pending: [CursorEntry] = []
    private var index = 0
    private var done = false
    /// The request id of the fetch already written.
    private var prefetched: Int32?

    init(connector: WebSocketConnector, session: WebSocketSession, cursorID: Int32) {
        self.connector = connector
        self.session = session
        self.cursorID = cursorID
    }

    deinit {
        if let prefetched { session.abandon([prefetched]) }
    }

    func next() async throws -> CursorEntry? {
        while index >= pending.count {
            guard !done else { return nil }
            let fetch = WebSocketRequest.fetchCursor(cursorID: cursorID, maxCount: Self.chunkSize)
            let reply: WebSocketSession.Reply
            if let id = prefetched {
                prefetched = nil
                reply = try await connector.reply(id, on: session, "The WebSocket request fetch_cursor")
            } else {
                reply = try await connector.send([fetch], on: session)[0]
            }
            switch reply {
            case .success(.fetchCursor(let entries, let done)):
                pending = entries
                index = 0
                self.done = done
                if !done { prefetched = try session.submit([fetch])[0] }
            case .success(let other):
                throw LibSQLError(code: .hranaProtocolError, message: "Expected a fetch_cursor response, got \(other.type)")
            case .failure(let error):
                throw LibSQLError(error)
            }
        }
        defer { index += 1 }
        return pending[index]
    }
}

extension StreamRequest {
    /// The same request over WebSocket, on the stream `streamID` (`close` closes the stream).
    func webSocket(streamID: Int32) -> WebSocketRequest {
        switch self {
        case .close: .closeStream(streamID: streamID)
        case .execute(let stmt): .execute(streamID: streamID, stmt)
        case .batch(let batch): .batch(streamID: streamID, batch)
        case .sequence(let sql, let sqlID): .sequence(streamID: streamID, sql: sql, sqlID: sqlID)
        case .describe(let sql, let sqlID): .describe(streamID: streamID, sql: sql, sqlID: sqlID)
        case .storeSQL(let id, let sql): .storeSQL(id: id, sql: sql)
        case .closeSQL(let id): .closeSQL(id: id)
        case .getAutocommit: .getAutocommit(streamID: streamID)
        }
    }
}

extension StreamResult {
    /// A WebSocket response as the HTTP result of `request`. A protobuf batch result lacks its trailing steps
    /// that neither ran nor failed; they are restored as `nil` up to the batch's step count.
    init(_ reply: WebSocketSession.Reply, for request: StreamRequest) {
        switch reply {
        case .failure(let error):
            self = .error(error)
        case .success(let response):
            switch response {
            case .openStream, .openCursor, .closeCursor, .fetchCursor:
                self = .error(ProtocolError(message: "Unexpected \(response.type) response", code: "HRANA_PROTOCOL_ERROR"))
            case .closeStream: self = .ok(.close)
            case .execute(let result): self = .ok(.execute(result))
            case .batch(var result):
                if case .batch(let batch) = request {
                    let count = batch.steps.count
                    if result.stepResults.count < count {
                        result.stepResults += Array(repeating: nil, count: count - result.stepResults.count)
                    }
                    if result.stepErrors.count < count {
                        result.stepErrors += Array(repeating: nil, count: count - result.stepErrors.count)
                    }
                }
                self = .ok(.batch(result))
            case .sequence: self = .ok(.sequence)
            case .describe(let result): self = .ok(.describe(result))
            case .storeSQL: self = .ok(.storeSQL)
            case .closeSQL: self = .ok(.closeSQL)
            case .getAutocommit(let isAutocommit): self = .ok(.getAutocommit(isAutocommit: isAutocommit))
            }
        }
    }
}
