import Foundation
import Hrana
import SQLiteCore
import Testing

@Suite struct ValueRoundTripTests {
    @Test(arguments: [
        Value.null, .integer(0), .integer(.max), .integer(.min), .integer(-7), .float(3.25), .float(-0.0),
        .float(1e100), .float(.greatestFiniteMagnitude), .text(""), .text("héllo — ✓ 日本語 😀 e\u{301}"),
        .text("nul\u{0}inside"), .blob(Data()), .blob(Data([0, 1, 0xFE, 0xFF])),
    ])
    func bindAndReadBack(value: Value) throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let statement = try #require(try connection.prepare("SELECT ?").statement)
        try statement.bind(value, at: 1)
        #expect(try statement.step())
        #expect(try statement.value(at: 0) == value)
        #expect(try statement.step() == false)
    }

    @Test func storedValuesKeepTheirTypes() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute(script: "CREATE TABLE t(a INT, b TEXT, c REAL, d BLOB, e FURRY BUNNY)")
        let insert = try #require(try connection.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)").statement)
        let row: [Value] = [.integer(.min), .text("x"), .float(1.0), .blob(Data([9])), .null]
        for (index, value) in row.enumerated() { try insert.bind(value, at: Int32(index + 1)) }
        #expect(try insert.step() == false)
        #expect(connection.changes == 1)
        #expect(connection.lastInsertRowID == 1)

        let select = try #require(try connection.prepare("SELECT a, b, c, d, e, a + 1 AS expr FROM t").statement)
        #expect(try select.step())
        #expect(try select.row() == row + [.integer(.min + 1)])
        #expect((0..<6).map { select.columnDeclaredType($0) } == ["INT", "TEXT", "REAL", "BLOB", "FURRY BUNNY", nil])
        #expect(select.columnName(5) == "expr")
        #expect((0..<5).map { select.columnType($0) } == [.integer, .text, .float, .blob, .null])
        #expect(select.columnCount == 6)
    }

    @Test func overflowingIntegerArithmeticBecomesFloat() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let statement = try #require(try connection.prepare("SELECT 9223372036854775807 + 1").statement)
        #expect(try statement.step())
        #expect(try statement.value(at: 0) == .float(9.223372036854776e18))
    }

    @Test func invalidUTF8TextThrowsInsteadOfCrashing() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let statement = try #require(try connection.prepare("SELECT CAST(x'41ff42' AS TEXT), CAST(x'c3a9' AS TEXT)").statement)
        #expect(try statement.step())
        let error = #expect(throws: SQLiteError.self) { try statement.value(at: 0) }
        #expect(error?.isInvalidUTF8 == true)
        #expect(try statement.value(at: 1) == .text("é"))
    }

    @Test func parametersReportNamesAndIndexes() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let statement = try #require(try connection.prepare("SELECT ?, ?3, :a, @b, $c").statement)
        #expect(statement.parameterCount == 6)
        #expect((1...6).map { statement.parameterName($0) } == [nil, nil, "?3", ":a", "@b", "$c"])
        #expect(statement.parameterIndex(":a") == 4)
        #expect(statement.parameterIndex(":zz") == nil)
        #expect(throws: SQLiteError.self) { try statement.bind(.null, at: 7) }
    }
}
