import Hrana
import SQLiteCore
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct StoredSQLTests {
        @Test func storeExecuteAndClose() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(try session.handle(.storeSQL(id: 0, sql: "SELECT ? + 1"), version: .v3) == .ok(.storeSQL))
            let result = try session.handle(.execute(Stmt(sqlID: 0, args: [.integer(41)])), version: .v3)
            guard case .ok(.execute(let stmtResult)) = result else { Issue.record("\(result)"); return }
            #expect(stmtResult.rows == [[.integer(42)]])
            let batch = try session.batch([BatchStep(stmt: Stmt(sqlID: 0, args: [.integer(1)]))])
            #expect(batch.stepResults.first??.rows == [[.integer(2)]])
            #expect(try session.handle(.describe(sql: nil, sqlID: 0), version: .v3) != .error(StatementError.noStatement.protocolError))
            #expect(try session.handle(.closeSQL(id: 0), version: .v3) == .ok(.closeSQL))
            #expect(try session.handle(.closeSQL(id: 99), version: .v3) == .ok(.closeSQL))
            #expect(throws: StreamFailure.self) { try session.handle(.execute(Stmt(sqlID: 0)), version: .v3) }
        }

        @Test func protocolViolations() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            _ = try session.handle(.storeSQL(id: 1, sql: "SELECT 1"), version: .v3)
            #expect(throws: StreamFailure.self) { try session.handle(.storeSQL(id: 1, sql: "SELECT 2"), version: .v3) }
            var both = Stmt(sql: "SELECT 1")
            both.sqlID = 1
            #expect(throws: StreamFailure.self) { try session.handle(.execute(both), version: .v3) }
            var neither = Stmt(sql: "SELECT 1")
            neither.sql = nil
            #expect(throws: StreamFailure.self) { try session.handle(.execute(neither), version: .v3) }
            #expect(throws: StreamFailure.self) { try session.handle(.sequence(sql: nil, sqlID: nil), version: .v3) }
            #expect(throws: StreamFailure.self) { try session.handle(.describe(sql: "SELECT 1", sqlID: 1), version: .v3) }
            #expect(throws: StreamFailure.self) { try session.handle(.sequence(sql: nil, sqlID: 7), version: .v3) }
            #expect(throws: StreamFailure.self) { try session.batch([BatchStep(stmt: Stmt(sqlID: 7))]) }
        }

        @Test func limitsOnCountAndSize() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(try session.handle(.storeSQL(id: 0, sql: String(repeating: "x", count: 5000)), version: .v3) == .ok(.storeSQL))
            let large = try session.handle(.storeSQL(id: 1, sql: String(repeating: "x", count: 5001)), version: .v3)
            guard case .error(let largeError) = large else { Issue.record("\(large)"); return }
            #expect(largeError.code == "SQL_STORE_TOO_LARGE")
            for id in 1..<50 {
                #expect(try session.handle(.storeSQL(id: Int32(id), sql: "SELECT 1"), version: .v3) == .ok(.storeSQL))
            }
            let tooMany = try session.handle(.storeSQL(id: 50, sql: "SELECT 1"), version: .v3)
            guard case .error(let tooManyError) = tooMany else { Issue.record("\(tooMany)"); return }
            #expect(tooManyError.code == "SQL_STORE_TOO_MANY")
            _ = try session.handle(.closeSQL(id: 3), version: .v3)
            #expect(try session.handle(.storeSQL(id: 50, sql: "SELECT 1"), version: .v3) == .ok(.storeSQL))
        }

        @Test func storedSQLBelongsToOneStream() throws {
            let harness = try EngineHarness()
            let a = try harness.openStream()
            let b = try harness.openStream()
            _ = try a.handle(.storeSQL(id: 1, sql: "SELECT 1"), version: .v3)
            #expect(throws: StreamFailure.self) { try b.handle(.execute(Stmt(sqlID: 1)), version: .v3) }
            #expect(try a.handle(.execute(Stmt(sqlID: 1)), version: .v3) != .error(StatementError.noStatement.protocolError))
        }
    }
}
