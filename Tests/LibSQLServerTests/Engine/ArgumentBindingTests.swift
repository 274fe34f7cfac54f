import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct ArgumentBindingTests {
        @Test func positionalNamedAndNumbered() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(try session.query("SELECT ?, ?, ?", [.text("one"), .integer(3), .null]).rows
                == [[.text("one"), .integer(3), .null]])
            for names in [[":a", "@b", "$c"], ["a", "b", "c"]] {
                let named = zip(names, [Value.integer(1), .integer(2), .integer(3)]).map { NamedArg(name: $0, value: $1) }
                #expect(try session.query("SELECT :a, @b, $c", named: named).rows == [[.integer(1), .integer(2), .integer(3)]])
            }
            #expect(try session.query("SELECT ?3, ?1, ?2", [.text("1"), .text("2"), .text("3")]).rows
                == [[.text("3"), .text("1"), .text("2")]])
            #expect(try session.query("SELECT ?1, ?1, ?2", [.integer(1), .integer(2)]).rows
                == [[.integer(1), .integer(1), .integer(2)]])
            // An exact (prefixed) name wins over the unprefixed one, which serves any prefix.
            let both = [NamedArg(name: "a", value: .integer(1)), NamedArg(name: ":a", value: .integer(2))]
            #expect(try session.query("SELECT :a, @a", named: both).rows == [[.integer(2), .integer(1)]])
            // A numbered parameter mixed with anonymous ones: `?` after `?5` is parameter 6.
            #expect(try session.query("SELECT ?5, ?", [1, 2, 3, 4, 5, 6].map { Value.integer($0) }).rows
                == [[.integer(5), .integer(6)]])
        }

        @Test func mismatchesAreArgsErrors() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let tooMany = try session.failure("SELECT ?", [.integer(1), .integer(2)])
            #expect(tooMany.code == "ARGS_INVALID")
            #expect(tooMany.message.hasPrefix("Arguments do not match SQL parameters"))
            #expect(try session.failure("SELECT ?, ?", [.integer(1)]).code == "ARGS_INVALID")
            #expect(try session.failure("SELECT :a").code == "ARGS_INVALID")
            #expect(try session.failure("SELECT :a", named: [NamedArg(name: ":b", value: .null)]).code == "ARGS_INVALID")
            #expect(try session.failure("SELECT 1", [.integer(1)]).code == "ARGS_INVALID")
            let both = try session.failure("SELECT ?, :a", [.integer(1)], named: [NamedArg(name: "a", value: .null)])
            #expect(both.code == "ARGS_BOTH_POSITIONAL_AND_NAMED")
            // A failed bind leaves the stream usable.
            #expect(try session.scalar("SELECT 'ok'") == .text("ok"))
        }

        @Test func explainToleratesMissingValues() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let result = try session.query("EXPLAIN SELECT ?, :a")
            #expect(!result.rows.isEmpty)
            #expect(result.cols.first?.name == "addr")
        }

        @Test func valuesLongerThanTheLimitAreTooBig() throws {
            let harness = try EngineHarness { $0.maxValueSize = 1000 }
            let session = try harness.openStream()
            let bind = try session.failure("SELECT ?", [.text(String(repeating: "x", count: 1001))])
            #expect(bind.code == "SQLITE_TOOBIG")
            #expect(try session.failure("SELECT zeroblob(2000)").code == "SQLITE_TOOBIG")
            #expect(try session.query("SELECT ?", [.text(String(repeating: "x", count: 1000))]).rows.count == 1)
        }
    }
}
