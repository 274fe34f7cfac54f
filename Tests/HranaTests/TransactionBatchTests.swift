import Foundation
import Hrana
import Testing

/// The libsql-client-ts transaction batch shapes, checked against the recorded requests.
@Suite("Transaction batches")
struct TransactionBatchTests {
    /// The user statements of a recorded lcts batch (every step between BEGIN and COMMIT), and its request.
    static func recorded(_ version: String, _ number: String) throws -> (statements: [Stmt], request: JSONValue, exchange: Exchange) {
        let exchange = try Exchange.load(version, number)
        let body = try #require(exchange.requestBody)
        let request = try HranaJSON.decode(PipelineRequest.self, from: body.data)
        guard case .batch(let batch) = request.requests[0] else { throw HranaCodingError(message: "no batch", path: "") }
        let sqls = batch.steps.map(\.stmt.sql)
        let begin = try #require(sqls.firstIndex(of: "BEGIN IMMEDIATE"))
        let commit = try #require(sqls.firstIndex(of: "COMMIT"))
        let statements = batch.steps[(begin + 1)..<commit].map { Stmt(sql: $0.stmt.sql!) }
        return (statements, body, exchange)
    }

    @Test("the builder reproduces the recorded libsql-client-ts requests exactly", arguments: [
        ("v2", "037", ProtocolVersion.v2), ("v2", "039", .v2), ("v3", "037", .v2), ("v3", "039", .v2),
        ("v3", "064", .v3), ("v3", "066", .v3),
    ])
    func reproducesFixtures(folder: String, number: String, version: ProtocolVersion) throws {
        let (statements, body, _) = try Self.recorded(folder, number)
        let built = BatchBuilder.transaction(statements, mode: .write, version: version)
        let request = PipelineRequest(baton: nil, requests: [.batch(built.batch), .close])
        #expect(try JSONValue.parse(try HranaJSON.encode(request)) == body)
        #expect(request.minimumVersion == version)
        #expect(built.batch.firstInvalidStepReference == nil)
    }

    @Test("results map back to the user statements", arguments: [("v2", "037"), ("v3", "064")])
    func committedResults(folder: String, number: String) throws {
        let (statements, _, exchange) = try Self.recorded(folder, number)
        let built = BatchBuilder.transaction(statements, mode: .write, version: folder == "v3" ? .v3 : .v2)
        let result = try exchange.batchResult(0)
        let results = try built.results(from: result)
        #expect(results.count == statements.count)
        #expect(results.map(\.affectedRowCount) == [1, 1])
        #expect(results == built.statementSteps.map { result.stepResults[$0]! })
        #expect(built.failingStatementIndex(in: result) == nil)
    }

    @Test("a failing statement is reported with its index among the user statements", arguments: [
        ("v2", "039", 2, ConstraintKind.unique), ("v3", "066", 1, .check),
    ])
    func failedResults(folder: String, number: String, index: Int, constraint: ConstraintKind) throws {
        let (statements, _, exchange) = try Self.recorded(folder, number)
        let built = BatchBuilder.transaction(statements, mode: .write, version: folder == "v3" ? .v3 : .v2)
        let result = try exchange.batchResult(0)
        #expect(built.failingStatementIndex(in: result) == index)
        #expect(built.rollbackStep.map { result.stepResults[$0] != nil } == true)
        do {
            _ = try built.results(from: result)
            Issue.record("a failed batch produced results")
        } catch {
            #expect(error.kind == .statementFailed)
            #expect(error.statementIndex == index)
            #expect(error.error?.constraint == constraint)
            #expect(error.description.contains("statement \(index) failed"))
        }
    }

    @Test("begin statements per mode")
    func modes() {
        #expect(TransactionMode.allCases.map(\.beginSQL) == ["BEGIN IMMEDIATE", "BEGIN TRANSACTION READONLY", "BEGIN DEFERRED"])
        let built = BatchBuilder.transaction([Stmt(sql: "SELECT 1")], mode: .read, version: .v2)
        #expect(built.batch.steps[0].stmt == Stmt(sql: "BEGIN TRANSACTION READONLY", args: [], namedArgs: [], wantRows: false))
        #expect(BatchBuilder.transaction([], version: .v2).batch.steps[0].stmt.sql == "BEGIN DEFERRED")
    }

    @Test("migration wraps the transaction in PRAGMA foreign_keys off/on", arguments: [ProtocolVersion.v2, .v3])
    func migration(version: ProtocolVersion) throws {
        let statements = [Stmt(sql: "CREATE TABLE a (x)"), Stmt(sql: "INSERT INTO a VALUES (?)", args: [.integer(1)])]
        let built = BatchBuilder.migration(statements, version: version)
        let steps = built.batch.steps
        #expect(steps.map(\.stmt.sql) == [
            "PRAGMA foreign_keys=off", "BEGIN DEFERRED", "CREATE TABLE a (x)", "INSERT INTO a VALUES (?)", "COMMIT",
            "ROLLBACK", "PRAGMA foreign_keys=on",
        ])
        #expect(steps[0].condition == nil)
        #expect(steps[6].condition == nil)
        #expect(steps[0].stmt.wantRows == false)
        #expect(built.beginStep == 1)
        #expect(built.statementSteps == [2, 3])
        #expect(built.commitStep == 4)
        #expect(built.rollbackStep == 5)
        let guardCondition: (Int) -> BatchCondition =
            version == .v3 ? { .and([.ok(step: UInt32($0)), .not(.isAutocommit)]) } : { .ok(step: UInt32($0)) }
        #expect(steps[2].condition == guardCondition(1))
        #expect(steps[3].condition == guardCondition(2))
        #expect(steps[4].condition == guardCondition(3))
        #expect(steps[5].condition == .not(.ok(step: 4)))
        #expect(steps[3].stmt.args == [.integer(1)])
        #expect(steps[3].stmt.namedArgs == [])
        #expect(steps[3].stmt.wantRows == true)
        #expect(built.batch.minimumVersion == version)
        #expect(built.batch.firstInvalidStepReference == nil)
    }

    @Test("explicitDefaults: false keeps the statements as given")
    func noDefaults() {
        let built = BatchBuilder.transaction([Stmt(sql: "SELECT 1")], version: .v2, explicitDefaults: false)
        #expect(built.batch.steps[1].stmt == Stmt(sql: "SELECT 1"))
    }

    @Test("interactive batches: BEGIN only on the first, not(is_autocommit) on v3")
    func interactive() {
        let first = BatchBuilder.interactive([Stmt(sql: "A"), Stmt(sql: "B")], begin: .write, version: .v3)
        #expect(first.batch.steps.map(\.condition) == [
            nil, .and([.ok(step: 0), .not(.isAutocommit)]), .and([.ok(step: 1), .not(.isAutocommit)]),
        ])
        #expect(first.commitStep == nil)
        let later = BatchBuilder.interactive([Stmt(sql: "C"), Stmt(sql: "D")], begin: nil, version: .v3)
        #expect(later.batch.steps.map(\.condition) == [.not(.isAutocommit), .and([.ok(step: 0), .not(.isAutocommit)])])
        let v2 = BatchBuilder.interactive([Stmt(sql: "C"), Stmt(sql: "D")], begin: nil, version: .v2)
        #expect(v2.batch.steps.map(\.condition) == [nil, .ok(step: 0)])
        #expect(v2.statementSteps == [0, 1])
    }

    @Test("failure order: BEGIN, statements, COMMIT; skipped steps; malformed results")
    func failureKinds() throws {
        let built = BatchBuilder.transaction([Stmt(sql: "A"), Stmt(sql: "B")], version: .v2)
        let ok = StmtResult()
        let error = ProtocolError(message: "x", code: "SQLITE_BUSY")
        func kind(_ results: [StmtResult?], _ errors: [ProtocolError?]) -> TransactionBatchError? {
            do {
                _ = try built.results(from: BatchResult(stepResults: results, stepErrors: errors))
                return nil
            } catch {
                return error
            }
        }
        #expect(kind([nil, nil, nil, nil, ok], [error, nil, nil, nil, nil])?.kind == .beginFailed)
        #expect(kind([nil, nil, nil, nil, ok], [nil, nil, nil, nil, nil])?.kind == .beginNotExecuted)
        #expect(kind([ok, nil, nil, nil, ok], [nil, nil, nil, nil, nil])?.kind == .statementNotExecuted)
        #expect(kind([ok, nil, nil, nil, ok], [nil, nil, nil, nil, nil])?.statementIndex == 0)
        #expect(kind([ok, ok, nil, nil, ok], [nil, nil, error, nil, nil])?.statementIndex == 1)
        #expect(kind([ok, ok, ok, nil, ok], [nil, nil, nil, error, nil])?.kind == .commitFailed)
        #expect(kind([ok, ok, ok, nil, ok], [nil, nil, nil, nil, nil])?.kind == .commitNotExecuted)
        #expect(kind([ok, ok, ok, ok], [nil, nil, nil, nil])?.kind == .malformedResult)
        #expect(kind([ok, ok, ok, ok, nil], [nil, nil, nil, nil, nil]) == nil)
    }
}
