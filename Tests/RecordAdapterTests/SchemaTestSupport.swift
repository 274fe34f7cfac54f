import Foundation
import LibSQLClient
import LibSQLServer
@testable import RecordAdapter
import Testing

/// Where a schema test runs: our server over real loopback HTTP, or a local SQLite file.
enum SchemaTarget: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case remote, local
    var testDescription: String { rawValue }
}

func withSchemaDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Runs `body` with a database on `target` (a fresh server database, or a fresh file).
func withSchemaDatabase(_ target: SchemaTarget, _ body: (Database) async throws -> Void) async throws {
    try await withSchemaDirectory { directory in
        switch target {
        case .remote:
            let configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("server.db").path, port: 0)
            try await HranaServer.withRunning(configuration) { server in
                try await withClosing(try Database(url: server.url.absoluteString), body)
            }
        case .local:
            try await withClosing(try Database(url: "file:" + directory.appendingPathComponent("local.db").path), body)
        }
    }
}

/// Runs `body`, then closes `database` whether it threw or not.
func withClosing(_ database: Database, _ body: (Database) async throws -> Void) async throws {
    do {
        try await body(database)
    } catch {
        await database.close()
        throw error
    }
    await database.close()
}

/// The comparable form of every object of a schema, by type and name.
func forms(_ snapshot: SchemaSnapshot) -> [String: [String]] {
    var forms: [String: [String]] = [:]
    for table in snapshot.tables { forms["table " + table.key] = table.form }
    for object in snapshot.indexes + snapshot.views + snapshot.triggers { forms[object.type + " " + object.key] = object.form }
    return forms
}

/// The forms of stored objects, replayed as the migrator does.
func schemaForms(_ objects: [StoredObject]) throws -> [String: [String]] {
    let shadow = try SchemaShadow()
    _ = shadow.replay(objects)
    return forms(try SchemaSnapshot(shadow))
}

/// The forms of the desired file.
func desiredForms(_ sql: String) throws -> [String: [String]] {
    let shadow = try SchemaShadow()
    try shadow.load(script: sql)
    return forms(try SchemaSnapshot(shadow))
}

/// The forms of the database's current schema.
func currentForms(_ database: Database) async throws -> [String: [String]] {
    let rows = try await database.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").rows
    return try schemaForms(rows.map {
        StoredObject(type: try $0.get(0), name: try $0.get(1), tableName: try $0.get(2), sql: try $0.get(3))
    })
}

/// All rows of a query as text, for comparing data before and after.
func dump(_ database: Database, _ sql: String) async throws -> [[String]] {
    try await database.execute(Statement(sql)).rows.map { row in
        row.values.map { value in
            if case .text(let text) = value { return text }
            return "\(value)"
        }
    }
}
