import CSQLite
import Foundation
import Hrana

/// A compiled SQL statement of a ``SQLiteConnection``; finalized on deinit.
///
/// Follows its connection's thread-safety contract: use it from one thread at a time.
package final class SQLiteStatement {
    /// The `sqlite3_stmt*` handle.
    package let handle: OpaquePointer
    /// The connection it was prepared on (kept alive by the statement).
    package let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// The SQL text of the statement.
    package var sql: String { sqlite3_sql(handle).map { String(cString: $0) } ?? "" }

    /// Whether the statement leaves the database unchanged (`sqlite3_stmt_readonly`).
    package var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    /// Whether the statement is an `EXPLAIN` or `EXPLAIN QUERY PLAN` (`sqlite3_stmt_isexplain`).
    package var isExplain: Bool { sqlite3_stmt_isexplain(handle) != 0 }

    // MARK: Parameters

    /// The number of the largest parameter (`sqlite3_bind_parameter_count`).
    package var parameterCount: Int32 { sqlite3_bind_parameter_count(handle) }

    /// The name of parameter `index` (1-based) with its prefix (`:a`, `?3`), or `nil` for an anonymous `?` or a gap.
    package func parameterName(_ index: Int32) -> String? {
        sqlite3_bind_parameter_name(handle, index).map { String(cString: $0) }
    }

    /// The index of the parameter with this exact name (prefix included), or `nil`.
    package func parameterIndex(_ name: String) -> Int32? {
        let index = sqlite3_bind_parameter_index(handle, name)
        return index > 0 ? index : nil
    }

    /// Binds a value to parameter `index` (1-based).
    package func bind(_ value: Value, at index: Int32) throws(SQLiteError) {
        let result: Int32
        switch value {
        case .null:
            result = sqlite3_bind_null(handle, index)
        case .integer(let integer):
            result = sqlite3_bind_int64(handle, index, integer)
        case .float(let double):
            result = sqlite3_bind_double(handle, index, double)
        case .text(var text):
            result = text.withUTF8 { buffer in
                buffer.baseAddress.map { base in
                    base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        sqlite3_bind_text64(handle, index, $0, UInt64(buffer.count), sqliteTransient, UInt8(SQLITE_UTF8))
                    }
                } ?? sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
            }
        case .blob(let data):
            result = data.withUnsafeBytes { buffer in
                if let base = buffer.baseAddress, !buffer.isEmpty {
                    sqlite3_bind_blob64(handle, index, base, UInt64(buffer.count), sqliteTransient)
                } else {
                    sqlite3_bind_zeroblob(handle, index, 0)
                }
            }
        }
        guard result == SQLITE_OK else { throw SQLiteError(result: result, connection: connection.handle) }
    }

    /// Sets every parameter back to NULL.
    package func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: Execution

    /// Runs the statement to its next row: `true` when a row is available, `false` when done.
    package func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let result: throw SQLiteError(result: result, connection: connection.handle)
        }
    }

    /// Resets the statement so it can run again; bindings are kept.
    package func reset() {
        sqlite3_reset(handle)
    }

    // MARK: Columns

    /// The number of result columns.
    package var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The name of a result column (`sqlite3_column_name`: the alias, or SQLite's text for the expression).
    package func columnName(_ index: Int32) -> String? {
        sqlite3_column_name(handle, index).map { String(cString: $0) }
    }

    /// The declared type of a result column, verbatim, or `nil` for an expression.
    package func columnDeclaredType(_ index: Int32) -> String? {
        sqlite3_column_decltype(handle, index).map { String(cString: $0) }
    }

    /// The storage class of a value.
    package enum StorageClass: Sendable, Hashable {
        /// `SQLITE_INTEGER`.
        case integer
        /// `SQLITE_FLOAT`.
        case float
        /// `SQLITE_TEXT`.
        case text
        /// `SQLITE_BLOB`.
        case blob
        /// `SQLITE_NULL`.
        case null
    }

    /// The storage class of a column of the current row.
    package func columnType(_ index: Int32) -> StorageClass {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .float
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }

    /// Reads a column of the current row exactly as stored. Text that is not valid UTF-8 throws an
    /// error whose ``SQLiteError/isInvalidUTF8`` is true.
    package func value(at index: Int32) throws(SQLiteError) -> Value {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT:
            return .float(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            let pointer = sqlite3_column_text(handle, index)
            let count = Int(sqlite3_column_bytes(handle, index))
            guard let pointer, count > 0 else { return .text("") }
            let bytes = UnsafeBufferPointer(start: pointer, count: count)
            guard let text = validatedString(bytes) else {
                throw SQLiteError(
                    extendedCode: SQLITE_MISMATCH, message: "Text in column \(index) is not valid UTF-8",
                    isInvalidUTF8: true)
            }
            return .text(text)
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard let pointer = sqlite3_column_blob(handle, index), count > 0 else { return .blob(Data()) }
            return .blob(Data(bytes: pointer, count: count))
        default:
            return .null
        }
    }

    /// Reads every column of the current row.
    package func row() throws(SQLiteError) -> [Value] {
        let count = columnCount
        var values: [Value] = []
        values.reserveCapacity(Int(count))
        for index in 0..<count { values.append(try value(at: index)) }
        return values
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound text and blobs before the call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Decodes UTF-8 strictly: `nil` when the bytes are not valid UTF-8.
func validatedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
    var iterator = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid: continue
        case .emptyInput: return String(decoding: bytes, as: UTF8.self)
        case .error: return nil
        }
    }
}
