import Foundation
import Hrana
import Logging
import Testing
@testable import LibSQLServer

/// A fresh engine database in a temporary folder, with shortcuts for the tests.
final class EngineHarness: @unchecked Sendable {
    let folder: URL
    let database: EngineDatabase

    init(_ configure: (inout EngineConfiguration) -> Void = { _ in }) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = EngineConfiguration(databasePath: folder.appendingPathComponent("db.sqlite").path)
        configure(&configuration)
        database = try EngineDatabase(configuration: configuration, logger: Logger(label: "engine-tests"))
    }

    deinit {
        database.close()
        try? FileManager.default.removeItem(at: folder)
    }

    func openStream() throws -> HranaStream { try database.openStream() }
}

extension HranaStream {
    /// Runs a statement and returns its result, failing the test on an error entry.
    @discardableResult
    func query(
        _ sql: String, _ args: [Value] = [], named: [NamedArg] = [], wantRows: Bool? = nil,
        version: ProtocolVersion = .v3, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> StmtResult {
        let result = try handle(
            .execute(Stmt(sql: sql, args: args, namedArgs: named, wantRows: wantRows)), version: version)
        switch result {
        case .ok(.execute(let stmtResult)): return stmtResult
        case .ok(let other): throw EngineTestError("unexpected response \(other)")
        case .error(let error): throw EngineTestError("\(sql): \(error.code ?? "-") \(error.message)")
        }
    }

    /// Runs a statement that must fail, and returns its error.
    func failure(
        _ sql: String, _ args: [Value] = [], named: [NamedArg] = [], version: ProtocolVersion = .v3
    ) throws -> ProtocolError {
        switch try handle(.execute(Stmt(sql: sql, args: args, namedArgs: named)), version: version) {
        case .error(let error): return error
        case .ok(let response): throw EngineTestError("\(sql) succeeded: \(response)")
        }
    }

    func batch(_ steps: [BatchStep], version: ProtocolVersion = .v3) throws -> BatchResult {
        switch try handle(.batch(Batch(steps: steps)), version: version) {
        case .ok(.batch(let result)): return result
        case let other: throw EngineTestError("unexpected batch outcome \(other)")
        }
    }

    func scalar(_ sql: String, _ args: [Value] = []) throws -> Value {
        let result = try query(sql, args)
        guard let value = result.rows.first?.first else { throw EngineTestError("no rows for \(sql)") }
        return value
    }
}

struct EngineTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The engine's test suites, grouped so that `swift test --filter Engine` selects them.
@Suite enum EngineTests {
    static func stmt(_ sql: String, _ args: [Value] = [], wantRows: Bool? = nil) -> Stmt {
        Stmt(sql: sql, args: args, wantRows: wantRows)
    }

    /// Runs `body(i)` for each `i` in `0..<count` on dedicated threads (not the Swift concurrency pool) and waits.
    static func onThreads(
        _ count: Int, timeout: Duration = .seconds(60), _ body: @escaping @Sendable (Int) -> Void
    ) -> Bool {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        let seconds = Double(timeout.components.seconds)
        return group.wait(timeout: .now() + seconds) == .success
    }
}
