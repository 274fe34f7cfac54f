import Foundation
import Hrana
import Logging
import Synchronization

/// The client over Hrana-over-HTTP.
final class RemoteBackend: Backend {
    let connector: RemoteConnector

    init(connector: RemoteConnector) {
        self.connector = connector
    }

    private var base: URL { connector.baseURL }

    /// Runs requests on a fresh stream that is closed in the same HTTP request.
    private func oneShot(_ requests: [StreamRequest]) async throws -> [StreamResult] {
        let version = try await connector.version(for: base)
        let response = try await connector.pipeline(
            PipelineRequest(baton: nil, requests: requests + [.close], encodesNullBaton: true), base: base, version: version)
        return Array(response.results.dropLast())
    }

    func execute(_ statement: Statement) async throws -> ResultSet {
        try await retryingReads(logger: connector.logger, isCertainlyReadOnly(statement.sql)) {
            let results = try await oneShot([.execute(statement.hranaStmt())])
            return try Self.executeResult(results[0], statement: statement)
        }
    }

    static func executeResult(_ result: StreamResult, statement: Statement) throws -> ResultSet {
        switch result {
        case .ok(.execute(let stmtResult)): return ResultSet(stmtResult)
        case .error(let error): throw LibSQLError(error, sql: statement.sql)
        case .ok(let other):
            throw LibSQLError(code: .hranaProtocolError, message: "Expected an execute response, got \(other.type)")
        }
    }

    func batch(
        _ statements: [Statement], mode: TransactionMode, disablingForeignKeys: Bool
    ) async throws -> [ResultSet] {
        let version = try await connector.version(for: base)
        let built = TransactionBatch.make(
            statements, mode: mode, version: version, disablingForeignKeys: disablingForeignKeys)
        // A `.read` batch is retried only when every statement is certainly read-only by its text: whether the
        // server enforces the mode is not known here, and a retried write would be applied twice.
        let readOnly = mode == .read && statements.allSatisfy { isCertainlyReadOnly($0.sql) }
        let results = try await retryingReads(logger: connector.logger, readOnly) { try await oneShot([.batch(built.batch)]) }
        switch results[0] {
        case .ok(.batch(let result)): return try built.resultSets(result, statements: statements)
        case .error(let error): throw LibSQLError(error)
        case .ok(let other):
            throw LibSQLError(code: .hranaProtocolError, message: "Expected a batch response, got \(other.type)")
        }
    }

    func executeMultiple(_ sql: String) async throws {
        let results = try await oneShot([.sequence(sql: sql, sqlID: nil)])
        if case .error(let error) = results[0] { throw LibSQLError(error, sql: sql) }
    }

    func beginTransaction(_ mode: TransactionMode) async throws -> any TransactionBackend {
        let version = try await connector.version(for: base)
        return RemoteTransaction(stream: RemoteStream(connector: connector, version: version, base: base), mode: mode)
    }

    func query(_ statement: Statement) async throws -> any RowSource {
        let version = try await connector.version(for: base)
        guard version >= .v3 else {
            let result = try await execute(statement)
            return BufferedRowSource(rows: result.rows)
        }
        let request = CursorRequest(baton: nil, batch: Batch(steps: [BatchStep(stmt: statement.hranaStmt())]))
        let (header, reader) = try await connector.cursor(request, base: base)
        let connector = self.connector
        let streamBase = header.baseURL.flatMap(URL.init(string:)) ?? base
        var onFinish: (@Sendable () -> Void)?
        if let baton = header.baton {
            onFinish = { Self.closeCursorStream(baton: baton, base: streamBase, connector: connector) }
        }
        return CursorRowSource(entries: reader, statement: statement, onFinish: onFinish)
    }

    /// Closes a finished cursor's stream in the background.
    private static func closeCursorStream(baton: String, base: URL, connector: RemoteConnector) {
        connector.runInBackground {
            let version = (try? await connector.version(for: connector.baseURL)) ?? .v3
            _ = try? await connector.pipeline(PipelineRequest(baton: baton, requests: [.close]), base: base, version: version)
        }
    }

    func updateAuthToken(_ token: String?) {
        connector.updateAuthToken(token)
    }

    func close() async {
        await connector.shutdown()
    }
}

/// A Hrana stream a transaction runs on: over HTTP (``RemoteStream``) or over WebSocket (``WebSocketStream``).
protocol TransactionStream: Sendable {
    var version: ProtocolVersion { get }
    var hasBegun: Bool { get async }
    var isClosed: Bool { get async }
    /// Sends requests on the stream in order (pipelined with concurrent callers') and returns their results.
    func send(_ requests: [StreamRequest]) async throws -> [StreamResult]
    /// Sends the requests `make` builds, telling it whether they are the transaction's first (and carry `BEGIN`).
    func send(beginning make: @Sendable (_ first: Bool) -> [StreamRequest]) async throws -> (first: Bool, results: [StreamResult])
    /// Closes the stream; the server rolls back an open transaction.
    func close() async
    /// Releases the stream after its connection was lost.
    func abandon() async
}

/// An interactive transaction on one stream: `BEGIN` rides with the first statement, `COMMIT` with `close`.
final class RemoteTransaction: TransactionBackend {
    let stream: any TransactionStream
    let mode: TransactionMode
    private let committed = Mutex(false)

    init(stream: any TransactionStream, mode: TransactionMode) {
        self.stream = stream
        self.mode = mode
    }

    private var guardsAutocommit: Bool { stream.version >= .v3 }

    func execute(_ statement: Statement) async throws -> ResultSet {
        try await batchSteps([statement]).first!
    }

    func batch(_ statements: [Statement]) async throws -> [ResultSet] {
        guard !statements.isEmpty else { return [] }
        return try await batchSteps(statements)
    }

    /// Runs statements in the transaction, each in order, each guarded by `not is_autocommit` on Hrana 3.
    /// The first call also carries `BEGIN` (decided on the stream, so concurrent first calls cannot overtake it).
    /// A failing statement does not roll the transaction back.
    private func batchSteps(_ statements: [Statement]) async throws -> [ResultSet] {
        try checkNotCommitted()
        let (mode, guardsAutocommit) = (mode, guardsAutocommit)
        let (first, results) = try await send { first in
            [Self.request(statements, first: first, mode: mode, guardsAutocommit: guardsAutocommit)]
        }
        let offset = first ? 1 : 0
        let stepCount = statements.count + offset
        switch results[0] {
        case .ok(.execute(let result)):
            return [ResultSet(result)]
        case .ok(.batch(let result)):
            guard result.stepErrors.count == stepCount, result.stepResults.count == stepCount else {
                throw LibSQLError(code: .hranaProtocolError, message: "The batch result has the wrong number of steps")
            }
            if first, let error = result.stepErrors[0] {
                throw LibSQLError(error, sql: mode.beginSQL)
            }
            var sets: [ResultSet] = []
            for (index, statement) in statements.enumerated() {
                if let error = result.stepErrors[offset + index] {
                    throw LibSQLError(error, sql: statement.sql, statementIndex: statements.count > 1 ? index : nil)
                }
                guard let stepResult = result.stepResults[offset + index] else {
                    throw LibSQLError(
                        code: .transactionClosed,
                        message: "The transaction is no longer active: the server rolled it back after an earlier failure",
                        sql: statement.sql)
                }
                sets.append(ResultSet(stepResult))
            }
            return sets
        case .error(let error):
            throw LibSQLError(error, sql: statements.count == 1 ? statements[0].sql : nil)
        case .ok(let other):
            throw LibSQLError(code: .hranaProtocolError, message: "Unexpected \(other.type) response")
        }
    }

    /// The request running `statements`: an `execute` when no condition is needed, else a batch whose steps are
    /// guarded by `BEGIN`'s success (first call) and `not is_autocommit` (Hrana 3).
    private static func request(
        _ statements: [Statement], first: Bool, mode: TransactionMode, guardsAutocommit: Bool
    ) -> StreamRequest {
        if !first && !guardsAutocommit && statements.count == 1 {
            return .execute(statements[0].hranaStmt())
        }
        var steps: [BatchStep] = []
        if first { steps.append(BatchStep(stmt: Stmt(sql: mode.beginSQL, wantRows: false))) }
        for statement in statements {
            var conditions: [BatchCondition] = []
            if first { conditions.append(.ok(step: 0)) }
            if guardsAutocommit { conditions.append(.not(.isAutocommit)) }
            let condition: BatchCondition? = conditions.isEmpty ? nil : conditions.count == 1 ? conditions[0] : .and(conditions)
            steps.append(BatchStep(condition: condition, stmt: statement.hranaStmt()))
        }
        return .batch(Batch(steps: steps))
    }

    private func send(_ requests: [StreamRequest]) async throws -> [StreamResult] {
        try await send { _ in requests }.results
    }

    /// Sends what `make` builds on the stream, with whether it is the transaction's first request.
    private func send(
        _ make: @Sendable (_ first: Bool) -> [StreamRequest]
    ) async throws -> (first: Bool, results: [StreamResult]) {
        do {
            return try await stream.send(beginning: make)
        } catch let error as LibSQLError where error.code == .streamExpired {
            var error = error
            error.message = "The transaction was rolled back: its stream expired after being idle longer than the server allows. "
                + "Keep idle gaps inside a transaction short. (\(error.message))"
            throw error
        }
    }

    func executeMultiple(_ sql: String) async throws {
        let beginSQL = mode.beginSQL
        let (first, results) = try await send { first in
            first ? [.execute(Stmt(sql: beginSQL, wantRows: false)), .sequence(sql: sql, sqlID: nil)]
                : [.sequence(sql: sql, sqlID: nil)]
        }
        if first, case .error(let error) = results[0] { throw LibSQLError(error, sql: beginSQL) }
        if case .error(let error) = results[first ? 1 : 0] { throw LibSQLError(error, sql: sql) }
    }

    private func checkNotCommitted() throws {
        if committed.withLock({ $0 }) {
            throw LibSQLError(code: .transactionClosed, message: "The transaction was already committed")
        }
    }

    /// One request: (`BEGIN`,) the statement, `COMMIT` guarded by the statement's success, then `close`.
    func executeAndCommit(_ statement: Statement) async throws -> ResultSet {
        try checkNotCommitted()
        committed.withLock { $0 = true }
        let stmts = [statement.hranaStmt(), Stmt(sql: "COMMIT", wantRows: false)]
        let beginning = BatchBuilder.interactive(stmts, begin: mode, version: stream.version, explicitDefaults: false)
        let later = BatchBuilder.interactive(stmts, begin: nil, version: stream.version, explicitDefaults: false)
        let (first, results) = try await send { first in [.batch((first ? beginning : later).batch), .close] }
        let built = first ? beginning : later
        switch results[0] {
        case .ok(.batch(let result)):
            do {
                return try built.resultSets(result, statements: [statement, "COMMIT"])[0]
            } catch var error as LibSQLError {
                error.statementIndex = nil
                throw error
            }
        case .error(let error): throw LibSQLError(error, sql: statement.sql)
        case .ok(let other):
            throw LibSQLError(code: .hranaProtocolError, message: "Expected a batch response, got \(other.type)")
        }
    }

    func commit() async throws {
        guard await stream.hasBegun, !committed.withLock({ $0 }) else { return }
        let results = try await send([.execute(Stmt(sql: "COMMIT", wantRows: false)), .close])
        if case .error(let error) = results[0] { throw LibSQLError(error, sql: "COMMIT") }
    }

    func rollback() async {
        guard await stream.hasBegun else {
            await stream.close()
            return
        }
        if await stream.isClosed {
            await stream.abandon()
            return
        }
        do {
            _ = try await stream.send([.execute(Stmt(sql: "ROLLBACK", wantRows: false)), .close])
        } catch {
            await stream.abandon()
        }
    }
}

/// Rows already in memory (Hrana 2 has no cursor).
final class BufferedRowSource: RowSource, @unchecked Sendable {
    private var rows: ArraySlice<Row>

    init(rows: [Row]) {
        self.rows = rows[...]
    }

    func next() async throws -> Row? { rows.popFirst() }
    func cancel() async { rows = [] }
}

/// Where a cursor's entries come from: a `/v3/cursor` body or `fetch_cursor` over WebSocket.
protocol CursorEntrySource: AnyObject, Sendable {
    /// The next entry, or `nil` when the cursor's entries ended.
    func next() async throws -> CursorEntry?
}

extension CursorEntryReader: CursorEntrySource {}

/// Rows read from cursor entries as they arrive; `onFinish` (closing the cursor's stream) runs once at the end,
/// or when the source is dropped before.
final class CursorRowSource: RowSource, @unchecked Sendable {
    private let entries: any CursorEntrySource
    private let statement: Statement
    private var onFinish: (@Sendable () -> Void)?
    private var layout: RowLayout?
    private var done = false

    init(entries: any CursorEntrySource, statement: Statement, onFinish: (@Sendable () -> Void)?) {
        self.entries = entries
        self.statement = statement
        self.onFinish = onFinish
    }

    deinit { onFinish?() }

    func next() async throws -> Row? {
        guard !done else { return nil }
        while let entry = try await entries.next() {
            switch entry {
            case .stepBegin(_, let cols):
                layout = RowLayout(cols)
            case .row(let values):
                guard let layout else {
                    throw LibSQLError(code: .hranaProtocolError, message: "A cursor row arrived before its step began")
                }
                return Row(layout: layout, values: values)
            case .stepEnd:
                finish()
                return nil
            case .stepError(_, let error), .error(let error):
                finish()
                throw LibSQLError(error, sql: statement.sql)
            case .unknown:
                continue
            }
        }
        finish()
        throw LibSQLError(code: .connectionError, message: "The cursor response ended before the query finished")
    }

    func cancel() async {
        finish()
    }

    private func finish() {
        done = true
        onFinish?()
        onFinish = nil
    }
}
