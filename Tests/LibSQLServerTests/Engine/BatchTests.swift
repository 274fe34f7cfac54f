import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct BatchTests {
        @Test func failingStepDoesNotStopTheBatch() throws {
            let harness = try EngineHarness()
            let result = try harness.openStream().batch([
                BatchStep(stmt: stmt("SELECT 1")), BatchStep(stmt: stmt("SELECT foobar")), BatchStep(stmt: stmt("SELECT 2")),
            ])
            #expect(result.stepResults.map { $0?.rows } == [[[.integer(1)]], nil, [[.integer(2)]]])
            #expect(result.stepErrors.map { $0 != nil } == [false, true, false])
            #expect(result.stepErrors[1]?.code == "SQL_INPUT_ERROR")
        }

        @Test func conditionsFollowTheSpec() throws {
            let harness = try EngineHarness()
            let conditions: [(BatchCondition, Bool)] = [
                (.ok(step: 0), true), (.ok(step: 1), false), (.error(step: 1), true), (.error(step: 0), false),
                (.not(.ok(step: 1)), true), (.and([]), true), (.or([]), false),
                (.and([.ok(step: 0), .error(step: 1)]), true), (.or([.ok(step: 1), .error(step: 0)]), false),
                (.not(.and([.ok(step: 0), .not(.error(step: 1))])), true),
                // Step 2 is skipped (its condition is false): neither ok nor error.
                (.error(step: 2), false), (.ok(step: 2), false), (.not(.error(step: 2)), true),
            ]
            var steps = [
                BatchStep(stmt: stmt("SELECT 0")), BatchStep(stmt: stmt("SELECT foobar")),
                BatchStep(condition: .ok(step: 1), stmt: stmt("SELECT 2")),
            ]
            steps += conditions.map { BatchStep(condition: $0.0, stmt: stmt("SELECT 'x'")) }
            let result = try harness.openStream().batch(steps)
            #expect(result.stepResults.count == steps.count && result.stepErrors.count == steps.count)
            #expect(result.stepResults[2] == nil && result.stepErrors[2] == nil)
            for (offset, (condition, expected)) in conditions.enumerated() {
                #expect((result.stepResults[offset + 3] != nil) == expected, "\(condition)")
            }
        }

        @Test func conditionReferencingCurrentOrLaterStepIsAProtocolError() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a)")
            for condition in [BatchCondition.ok(step: 1), .error(step: 2), .not(.and([.ok(step: 0), .or([.ok(step: 5)])]))] {
                let failure = #expect(throws: StreamFailure.self) {
                    try session.handle(.batch(Batch(steps: [
                        BatchStep(stmt: stmt("INSERT INTO t VALUES (1)")), BatchStep(condition: condition, stmt: stmt("SELECT 1")),
                    ])), version: .v3)
                }
                #expect(failure?.message.contains("Invalid reference") == true)
            }
            // Checked before anything runs.
            #expect(try session.scalar("SELECT count(*) FROM t") == .integer(0))
        }

        @Test func isAutocommitIsEvaluatedWhenTheStepRuns() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a UNIQUE)")
            try session.query("INSERT INTO t VALUES (1)")
            let result = try session.batch([
                BatchStep(condition: .isAutocommit, stmt: stmt("SELECT 'before'")),
                BatchStep(stmt: stmt("BEGIN")),
                BatchStep(condition: .isAutocommit, stmt: stmt("SELECT 'inside'")),
                BatchStep(stmt: stmt("INSERT OR ROLLBACK INTO t VALUES (1)")),
                BatchStep(condition: .isAutocommit, stmt: stmt("SELECT 'after implicit rollback'")),
                BatchStep(condition: .not(.isAutocommit), stmt: stmt("SELECT 'guarded'")),
            ])
            #expect(result.stepResults.map { $0 != nil } == [true, true, false, false, true, false])
            #expect(result.stepErrors[3]?.code == "SQLITE_CONSTRAINT")
            #expect(session.isAutocommit)
        }

        @Test func hrana3FeaturesAreRejectedOnVersion2() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(throws: StreamFailure.self) { try session.handle(.getAutocommit, version: .v2) }
            #expect(throws: StreamFailure.self) {
                try session.batch([BatchStep(condition: .not(.isAutocommit), stmt: stmt("SELECT 1"))], version: .v2)
            }
            #expect(try session.handle(.getAutocommit, version: .v3) == .ok(.getAutocommit(isAutocommit: true)))
            let v2 = try session.batch([BatchStep(stmt: stmt("SELECT 1")), BatchStep(condition: .ok(step: 0), stmt: stmt("SELECT 2"))], version: .v2)
            #expect(v2.stepResults.allSatisfy { $0 != nil })
        }

        @Test func lctsWriteBatchRollsBackOnFailure() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a UNIQUE)")
            try session.query("INSERT INTO t VALUES (1)")
            let steps = [
                BatchStep(stmt: stmt("BEGIN IMMEDIATE", wantRows: false)),
                BatchStep(condition: .and([.ok(step: 0), .not(.isAutocommit)]), stmt: stmt("INSERT INTO t VALUES (2)")),
                BatchStep(condition: .and([.ok(step: 1), .not(.isAutocommit)]), stmt: stmt("INSERT INTO t VALUES (1)")),
                BatchStep(condition: .and([.ok(step: 2), .not(.isAutocommit)]), stmt: stmt("INSERT INTO t VALUES (3)")),
                BatchStep(condition: .and([.ok(step: 3), .not(.isAutocommit)]), stmt: stmt("COMMIT", wantRows: false)),
                BatchStep(condition: .not(.ok(step: 4)), stmt: stmt("ROLLBACK", wantRows: false)),
            ]
            let result = try session.batch(steps)
            #expect(result.stepResults.map { $0 != nil } == [true, true, false, false, false, true])
            #expect(result.stepErrors.map { $0 != nil } == [false, false, true, false, false, false])
            #expect(try session.query("SELECT a FROM t").rows == [[.integer(1)]])
            #expect(session.isAutocommit)
        }

        @Test func largeBatchRuns() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a)")
            let steps = [BatchStep(stmt: stmt("BEGIN"))]
                + (0..<1000).map { BatchStep(condition: .ok(step: UInt32($0)), stmt: stmt("INSERT INTO t VALUES (?)", [.integer(Int64($0))])) }
                + [BatchStep(condition: .ok(step: 1000), stmt: stmt("COMMIT"))]
            let result = try session.batch(steps)
            #expect(result.stepResults.allSatisfy { $0 != nil })
            #expect(try session.scalar("SELECT count(*) FROM t") == .integer(1000))
        }
    }
}
