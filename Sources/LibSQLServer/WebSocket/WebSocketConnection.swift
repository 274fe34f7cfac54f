import Foundation
import Hrana
import Logging
import NIOCore
import NIOWebSocket
import WSCore

/// One Hrana WebSocket connection: its authentication, its streams, cursors and stored SQL, and the loop
/// that reads its messages. Streams are closed when the connection ends, however it ends.
///
/// As in sqld, each stream's requests run in order on their own chain (a cursor's requests on its stream's),
/// and different streams run concurrently, so a statement waiting for a lock holds up its stream only, not
/// the socket; responses of different streams may be reordered. `hello`, `store_sql` and `close_sql` are
/// handled by the loop as they arrive, and stored SQL is resolved when a request arrives. At most
/// ``maxQueuedPerStream`` requests wait per stream before the loop stops reading.
///
/// Protocol errors end the connection with sqld's close codes: 1007 for a message that does not decode,
/// 1003 for a frame of the wrong kind, 1008 for a request the protocol forbids (before `hello`, an unknown
/// or duplicate id, a request above the negotiated version, a re-`hello` on Hrana 1). Statement errors and
/// authorization failures are `response_error`s and the connection stays up.
actor WebSocketConnection {
    private let core: ServerCore
    private let subprotocol: WebSocketSubprotocol
    private let outbound: WebSocketOutboundWriter
    private var access: Access?
    private var streams: [Int32: HranaStream] = [:]
    private var storedSQL: [Int32: String] = [:]
    private var cursors: [Int32: Cursor] = [:]
    /// The last request queued on each stream's chain, and how many are queued there.
    private var chains: [Int32: (tail: Task<Void, Never>, queued: Int)] = [:]
    /// The stream of each cursor whose `open_cursor` was received, for the chain of its later requests.
    private var cursorStreams: [Int32: Int32] = [:]
    /// Whether a chain ended the connection (a protocol error or a failed write).
    private var ending = false

    /// The most requests queued on one stream before the loop waits (sqld's per-stream queue holds 8).
    static let maxQueuedPerStream = 8

    /// A cursor's entries, produced when it opens, handed out by `fetch_cursor`.
    private struct Cursor {
        var streamID: Int32
        var entries: [CursorEntry]
        var next = 0
    }

    /// Why the connection must end.
    private struct Closing: Error {
        var code: WebSocketErrorCode
        var reason: String
    }

    /// The most SQL texts one connection may store, as for one HTTP stream.
    private var maxStoredSQLCount: Int { core.database.configuration.maxStoredSQLCount }

    init(core: ServerCore, subprotocol: WebSocketSubprotocol, outbound: WebSocketOutboundWriter) {
        self.core = core
        self.subprotocol = subprotocol
        self.outbound = outbound
    }

    /// Answers messages until the client leaves or a protocol error ends the connection.
    func run(_ inbound: WebSocketInboundStream) async {
        do {
            for try await message in inbound.messages(maxSize: core.configuration.maxRequestBodySize) {
                try await handle(message)
            }
        } catch let closing as Closing {
            core.logger.debug("Closing a WebSocket", metadata: ["code": "\(closing.code)", "reason": "\(closing.reason)"])
            try? await outbound.close(closing.code, reason: closing.reason)
        } catch {
            core.logger.debug("A WebSocket ended", metadata: ["error": "\(error)"])
        }
        ending = true
        for chain in chains.values { await chain.tail.value }
        chains.removeAll()
        let open = Array(streams.values)
        streams.removeAll()
        cursors.removeAll()
        if !open.isEmpty { await core.executor.runDetached { for stream in open { stream.close() } } }
    }

    // MARK: Messages

    private func handle(_ frame: WebSocketMessage) async throws {
        let message: ClientMessage
        do {
            switch (frame, subprotocol.encoding) {
            case (.text(let text), .json): message = try HranaJSON.decode(ClientMessage.self, from: Data(text.utf8))
            case (.binary(let buffer), .protobuf):
                message = try HranaProtobuf.decode(ClientMessage.self, from: Data(buffer: buffer))
            case (.text, .protobuf), (.binary, .json):
                throw Closing(code: .unacceptableData, reason: "Wrong frame type for \(subprotocol.rawValue)")
            }
        } catch let error as HranaCodingError {
            throw Closing(code: .dataInconsistentWithMessage, reason: "Invalid message: \(error.description)")
        }
        switch message {
        case .hello(let jwt):
            if access != nil && subprotocol.version < 2 {
                throw Closing(code: .policyViolation, reason: "Hrana 1 does not allow a second hello")
            }
            do {
                access = try core.authenticator.authenticate(header: jwt.map { "Bearer \($0)" })
                try await send(.helloOK)
            } catch let failure as AuthFailure {
                try await send(.helloError(ProtocolError(message: failure.message, code: "UNAUTHORIZED")))
                throw Closing(code: .normalClosure, reason: "Authentication failed")
            }
        case .request(let id, let request):
            guard let access else { throw Closing(code: .policyViolation, reason: "A request came before hello") }
            guard request.minimumVersion <= subprotocol.version else {
                throw Closing(code: .policyViolation, reason: "The `\(request.type)` request is not supported in \(subprotocol.rawValue)")
            }
            guard !ending else { return }
            switch request {
            case .storeSQL, .closeSQL:
                try await answer(id, try await respond(to: request, access: access))
            default:
                let resolved = try resolve(request)
                guard let key = chainKey(resolved) else {
                    try await answer(id, try await respond(to: resolved, access: access))
                    return
                }
                try await enqueue(on: key) { connection in
                    await connection.process(id, resolved, access: access)
                }
            }
        }
    }

    private func answer(_ id: Int32, _ result: Result<WebSocketResponse, ProtocolError>) async throws {
        switch result {
        case .success(let response): try await send(.responseOK(requestID: id, response))
        case .failure(let error): try await send(.responseError(requestID: id, error))
        }
    }

    /// The stream whose chain runs a request: its own, or its cursor's; `nil` for a cursor never opened.
    private func chainKey(_ request: WebSocketRequest) -> Int32? {
        switch request {
        case .openStream(let id), .closeStream(let id), .execute(let id, _), .batch(let id, _),
             .sequence(let id, _, _), .describe(let id, _, _), .getAutocommit(let id):
            return id
        case .openCursor(let streamID, let cursorID, _):
            cursorStreams[cursorID] = streamID
            return streamID
        case .fetchCursor(let cursorID, _), .closeCursor(let cursorID):
            return cursorStreams[cursorID]
        case .storeSQL, .closeSQL:
            return nil
        }
    }

    /// Queues work after the stream's earlier requests; waits first while the stream has a full queue.
    private func enqueue(
        on key: Int32, _ work: @escaping @Sendable (isolated WebSocketConnection) async -> Void
    ) async throws {
        while let chain = chains[key], chain.queued >= Self.maxQueuedPerStream {
            await chain.tail.value
        }
        let previous = chains[key]?.tail
        let tail = Task {
            await previous?.value
            await work(self)
            self.dequeued(key)
        }
        chains[key] = (tail, (chains[key]?.queued ?? 0) + 1)
    }

    private func dequeued(_ key: Int32) {
        guard let chain = chains[key] else { return }
        chains[key] = chain.queued <= 1 ? nil : (chain.tail, chain.queued - 1)
    }

    /// Runs one request of a chain and answers it; a protocol error closes the connection.
    private func process(_ id: Int32, _ request: WebSocketRequest, access: Access) async {
        guard !ending else { return }
        do {
            try await answer(id, try await respond(to: request, access: access))
        } catch let closing as Closing {
            guard !ending else { return }
            ending = true
            core.logger.debug("Closing a WebSocket", metadata: ["code": "\(closing.code)", "reason": "\(closing.reason)"])
            try? await outbound.close(closing.code, reason: closing.reason)
        } catch {
            ending = true
            core.logger.debug("A WebSocket write failed", metadata: ["error": "\(error)"])
        }
    }

    /// The request with stored SQL in place of its `sql_id`s, as stored when it arrived.
    private func resolve(_ request: WebSocketRequest) throws -> WebSocketRequest {
        switch request {
        case .execute(let streamID, let stmt): return .execute(streamID: streamID, try resolve(stmt))
        case .batch(let streamID, let batch): return .batch(streamID: streamID, try resolve(batch))
        case .openCursor(let streamID, let cursorID, let batch):
            return .openCursor(streamID: streamID, cursorID: cursorID, try resolve(batch))
        case .sequence(let streamID, let sql, let sqlID):
            return .sequence(streamID: streamID, sql: try resolve(sql: sql, sqlID: sqlID), sqlID: nil)
        case .describe(let streamID, let sql, let sqlID):
            return .describe(streamID: streamID, sql: try resolve(sql: sql, sqlID: sqlID), sqlID: nil)
        default: return request
        }
    }

    private func send(_ message: ServerMessage) async throws {
        switch subprotocol.encoding {
        case .json:
            let data = try HranaJSON.encode(message, nonFiniteFloatsAsNull: true)
            try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
        case .protobuf:
            try await outbound.write(.binary(ByteBuffer(data: HranaProtobuf.encode(message))))
        }
    }

    // MARK: Requests

    private func respond(
        to request: WebSocketRequest, access: Access
    ) async throws -> Result<WebSocketResponse, ProtocolError> {
        switch request {
        case .openStream(let streamID):
            guard streams[streamID] == nil else { throw Closing(code: .policyViolation, reason: "Stream \(streamID) is already open") }
            let database = core.database
            let opened = try await core.executor.run { ServerCore.openStream(database) }
            switch opened {
            case .success(let stream):
                streams[streamID] = stream
                return .success(.openStream)
            case .failure(let error):
                return .failure(ProtocolError(message: "Could not open a stream: \(error)", code: "STREAM_NOT_OPEN"))
            }
        case .closeStream(let streamID):
            let stream = try stream(streamID)
            streams[streamID] = nil
            cursors = cursors.filter { $0.value.streamID != streamID }
            cursorStreams = cursorStreams.filter { $0.value != streamID }
            await core.executor.runDetached { stream.close() }
            return .success(.closeStream)
        case .execute(let streamID, let stmt):
            return try await run(.execute(try resolve(stmt)), on: streamID, access: access)
        case .batch(let streamID, let batch):
            return try await run(.batch(try resolve(batch)), on: streamID, access: access)
        case .sequence(let streamID, let sql, let sqlID):
            return try await run(.sequence(sql: try resolve(sql: sql, sqlID: sqlID), sqlID: nil), on: streamID, access: access)
        case .describe(let streamID, let sql, let sqlID):
            return try await run(.describe(sql: try resolve(sql: sql, sqlID: sqlID), sqlID: nil), on: streamID, access: access)
        case .getAutocommit(let streamID):
            return try await run(.getAutocommit, on: streamID, access: access)
        case .storeSQL(let id, let sql):
            guard storedSQL[id] == nil else { throw Closing(code: .policyViolation, reason: "SQL id \(id) is already in use") }
            guard storedSQL.count < maxStoredSQLCount else { return .failure(EngineError.storeTooMany(maxStoredSQLCount)) }
            let limit = core.database.configuration.maxStoredSQLSize
            guard sql.utf8.count <= limit else { return .failure(EngineError.storeTooLarge(size: sql.utf8.count, limit: limit)) }
            storedSQL[id] = sql
            return .success(.storeSQL)
        case .closeSQL(let id):
            storedSQL[id] = nil
            return .success(.closeSQL)
        case .openCursor(let streamID, let cursorID, let batch):
            return try await openCursor(cursorID, on: streamID, batch: try resolve(batch), access: access)
        case .fetchCursor(let cursorID, let maxCount):
            guard var cursor = cursors[cursorID] else { throw Closing(code: .policyViolation, reason: "Cursor \(cursorID) is not open") }
            let end = min(cursor.entries.count, cursor.next + Int(maxCount))
            let entries = Array(cursor.entries[cursor.next..<end])
            cursor.next = end
            cursors[cursorID] = cursor
            return .success(.fetchCursor(entries: entries, done: end == cursor.entries.count))
        case .closeCursor(let cursorID):
            cursors[cursorID] = nil
            return .success(.closeCursor)
        }
    }

    /// Runs one request on a stream, on a worker thread.
    private func run(
        _ request: StreamRequest, on streamID: Int32, access: Access
    ) async throws -> Result<WebSocketResponse, ProtocolError> {
        let stream = try stream(streamID)
        guard !cursors.values.contains(where: { $0.streamID == streamID }) || !Self.runsStatements(request) else {
            throw Closing(code: .policyViolation, reason: "Stream \(streamID) has an open cursor")
        }
        if access == .readOnly && WriteClassifier.mayWrite([request], storedSQL: [:]) {
            return .failure(Self.forbidden)
        }
        let version = subprotocol.streamVersion
        let result = try await core.executor.run { Result { () throws(StreamFailure) in try stream.handle(request, version: version) } }
        switch result {
        case .failure(let failure): throw Closing(code: .policyViolation, reason: failure.message)
        case .success(.error(let error)): return .failure(error)
        case .success(.ok(let response)):
            switch response {
            case .execute(let result): return .success(.execute(result))
            case .batch(let result): return .success(.batch(result))
            case .sequence: return .success(.sequence)
            case .describe(let result): return .success(.describe(result))
            case .getAutocommit(let isAutocommit): return .success(.getAutocommit(isAutocommit: isAutocommit))
            case .close, .storeSQL, .closeSQL: return .failure(ProtocolError(message: "Unexpected response", code: "INTERNAL"))
            }
        }
    }

    /// Runs a cursor's batch at once and keeps its entries for `fetch_cursor`; at most the response size
    /// limit of entries is kept, after which the cursor ends with an error entry.
    private func openCursor(
        _ cursorID: Int32, on streamID: Int32, batch: Batch, access: Access
    ) async throws -> Result<WebSocketResponse, ProtocolError> {
        let stream = try stream(streamID)
        guard cursors[cursorID] == nil else { throw Closing(code: .policyViolation, reason: "Cursor \(cursorID) is already open") }
        guard !cursors.values.contains(where: { $0.streamID == streamID }) else {
            throw Closing(code: .policyViolation, reason: "Stream \(streamID) already has an open cursor")
        }
        guard ConditionValidator.isValid(batch) else {
            throw Closing(code: .policyViolation, reason: StreamFailure.invalidConditionReference.message)
        }
        if access == .readOnly && WriteClassifier.mayWrite(batch, storedSQL: [:]) { return .failure(Self.forbidden) }
        let limit = core.configuration.maxResponseSize
        let produced = try await core.executor.run { () -> Result<[CursorEntry], StreamFailure> in
            var entries: [CursorEntry] = []
            var used = 0
            var tooLarge = false
            do throws(StreamFailure) {
                try stream.runCursor(batch, version: .v3) { entry in
                    if case .row(let row) = entry { used += ResponseBudget.estimate(row) }
                    if used > limit {
                        tooLarge = true
                        throw CursorTooLarge()
                    }
                    entries.append(entry)
                }
                return .success(entries)
            } catch {
                guard tooLarge else { return .failure(error) }
                entries.append(.error(EngineError.responseTooLarge))
                return .success(entries)
            }
        }
        switch produced {
        case .failure(let failure): throw Closing(code: .policyViolation, reason: failure.message)
        case .success(let entries):
            cursors[cursorID] = Cursor(streamID: streamID, entries: entries)
            return .success(.openCursor)
        }
    }

    // MARK: Ids and stored SQL

    private func stream(_ id: Int32) throws -> HranaStream {
        guard let stream = streams[id] else { throw Closing(code: .policyViolation, reason: "Stream \(id) is not open") }
        return stream
    }

    private func resolve(sql: String?, sqlID: Int32?) throws -> String {
        switch (sql, sqlID) {
        case (let sql?, nil): return sql
        case (nil, let id?):
            guard let stored = storedSQL[id] else { throw Closing(code: .policyViolation, reason: "SQL id \(id) is not stored") }
            return stored
        case (.some, .some): throw Closing(code: .policyViolation, reason: StreamFailure.sqlAndSQLIDBoth.message)
        case (nil, nil): throw Closing(code: .policyViolation, reason: StreamFailure.sqlAndSQLIDNeither.message)
        }
    }

    /// The statement with its stored SQL in place of its `sql_id` (stored SQL belongs to the connection).
    private func resolve(_ stmt: Stmt) throws -> Stmt {
        var resolved = stmt
        resolved.sql = try resolve(sql: stmt.sql, sqlID: stmt.sqlID)
        resolved.sqlID = nil
        return resolved
    }

    private func resolve(_ batch: Batch) throws -> Batch {
        var resolved = batch
        resolved.steps = try batch.steps.map { step in
            var step = step
            step.stmt = try resolve(step.stmt)
            return step
        }
        return resolved
    }

    private struct CursorTooLarge: Error {}

    private static func runsStatements(_ request: StreamRequest) -> Bool {
        if case .getAutocommit = request { false } else { true }
    }

    private static let forbidden = ProtocolError(
        message: "Authorization forbidden: the token is read-only and the request may write", code: "FORBIDDEN")
}
