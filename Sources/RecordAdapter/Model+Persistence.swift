import Foundation
import LibSQLClient

extension Model {
    /// Validates and inserts a record, running its callbacks, and returns it as stored (with its `id`, defaults and
    /// timestamps). Throws ``RecordError/Kind/recordInvalid`` when validations fail.
    @discardableResult
    public static func create(_ record: Self, on connection: RecordConnection? = nil) async throws -> Self {
        var copy = record
        try await copy.insert(on: connection)
        return copy
    }

    /// Inserts the record when it is new, otherwise updates every column (Rails' `save!`).
    ///
    /// A record is new when its primary key is `NULL`. A record whose key the application assigns (a `UUID`, a
    /// text key as in the seed's schema) costs one more query, `SELECT 1 … LIMIT 1`, to tell; call ``insert(on:)``
    /// or ``create(_:on:)`` directly to avoid it.
    public mutating func save(on connection: RecordConnection? = nil) async throws {
        let key = try primaryKeyValue()
        if key == .null {
            try await insert(on: connection)
        } else if try await Self.query(on: connection).where(Column(Self.primaryKey) == key).exists() {
            try await update(on: connection, changing: nil)
        } else {
            try await insert(on: connection)
        }
    }

    /// Applies `change` and saves only the columns it changed (Rails' `update!`, with dirty tracking):
    ///
    /// ```swift
    /// var user = try await User.find(1)
    /// try await user.update { $0.email = "new@example.com" }   // UPDATE "users" SET "email" = ?, "updated_at" = ? …
    /// ```
    /// Nothing is sent when nothing changed.
    public mutating func update(on connection: RecordConnection? = nil, _ change: (inout Self) throws -> Void) async throws {
        let original = self
        var changed = self
        try change(&changed)
        try await changed.update(on: connection, changing: try changed.changes(from: original).keys.sorted())
        self = changed
    }

    /// Validates and inserts the record, running its callbacks; `self` becomes the stored row.
    public mutating func insert(on connection: RecordConnection? = nil) async throws {
        let connection = try connection ?? Records.connection
        try await runValidations(on: connection, creating: true)
        try await beforeSave()
        try await beforeCreate()
        var values = try columnValues()
        var now: SQLValue?
        for column in ["created_at", "updated_at"] where values[column] == .null {
            if now == nil { now = Date().sqlValue }
            values[column] = now
        }
        if values[Self.lockingColumn] == .null { values[Self.lockingColumn] = .integer(0) }
        let stored = values.pairs.filter { $0.value != .null }
        let sql: String
        if stored.isEmpty {
            sql = "INSERT INTO \(Self.quotedTable) DEFAULT VALUES RETURNING *"
        } else {
            sql = "INSERT INTO \(Self.quotedTable) (" + stored.map { SQLQuoting.identifier($0.column) }.joined(separator: ", ")
                + ") VALUES (" + Array(repeating: "?", count: stored.count).joined(separator: ", ") + ") RETURNING *"
        }
        let result = try await connection.execute(Statement(sql: sql, arguments: .positional(stored.map(\.value))))
        guard let row = result.rows.first else { throw RecordError(.statementInvalid, "INSERT returned no row", sql: sql) }
        self = try Self(row: row)
        try await afterCreate()
        try await afterSave()
        await registerOutcome(.create, on: connection)
    }

    /// Updates `columns` (every column when `nil`), with validations, callbacks, `updated_at` and optimistic
    /// locking; `self` becomes the stored row.
    mutating func update(on connection: RecordConnection?, changing columns: [String]?) async throws {
        let connection = try connection ?? Records.connection
        if let columns, columns.isEmpty { return }
        try await runValidations(on: connection, creating: false)
        try await beforeSave()
        try await beforeUpdate()
        var values = try columnValues()
        let key = values[Self.primaryKey] ?? .null
        guard key != .null else { throw RecordError(.statementInvalid, "Cannot update a \(Self.self) that has no \(Self.primaryKey)") }
        var names = columns ?? values.columns.filter { $0 != Self.primaryKey }
        if values["updated_at"] != nil, !(columns?.contains("updated_at") ?? false) {
            values["updated_at"] = Date().sqlValue
            if !names.contains("updated_at") { names.append("updated_at") }
        }
        let lockVersion = values[Self.lockingColumn]
        names.removeAll { $0 == Self.lockingColumn }
        var assignments = names.map { "\(SQLQuoting.identifier($0)) = ?" }
        var arguments = names.map { values[$0] ?? .null }
        let lock = SQLQuoting.identifier(Self.lockingColumn)
        if lockVersion != nil { assignments.append("\(lock) = \(lock) + 1") }
        arguments.append(key)
        var sql = "UPDATE \(Self.quotedTable) SET " + assignments.joined(separator: ", ") + " WHERE \(SQLQuoting.identifier(Self.primaryKey)) = ?"
        if let lockVersion {
            sql += " AND \(lock) IS ?"
            arguments.append(lockVersion)
        }
        sql += " RETURNING *"
        let result = try await connection.execute(Statement(sql: sql, arguments: .positional(arguments)))
        guard let row = result.rows.first else {
            if lockVersion != nil {
                throw RecordError(.staleObject, "Attempted to update a stale \(Self.self) (\(Self.primaryKey) = \(key)): its \(Self.lockingColumn) changed or the row is gone", sql: sql)
            }
            throw RecordError(.recordNotFound, "Couldn't update \(Self.self) with \(Self.primaryKey) = \(key): no such row", sql: sql)
        }
        self = try Self(row: row)
        try await afterUpdate()
        try await afterSave()
        await registerOutcome(.update, on: connection)
    }

    /// Deletes the record, running its destroy callbacks; with a lock version, a stale record throws
    /// ``RecordError/Kind/staleObject``.
    ///
    /// With ``Model/dependents``, the destroy runs in a transaction (a savepoint inside one): `beforeDestroy`,
    /// each dependent action in order, the `DELETE`, `afterDestroy`; any failure rolls all of it back.
    public func destroy(on connection: RecordConnection? = nil) async throws {
        let connection = try connection ?? Records.connection
        let dependents = Self.dependents
        guard !dependents.isEmpty else { return try await destroyRow(on: connection, dependents: []) }
        try await connection.transaction { try await destroyRow(on: connection, dependents: dependents) }
    }

    private func destroyRow(on connection: RecordConnection, dependents: [Dependent<Self>]) async throws {
        try await beforeDestroy()
        for dependent in dependents { try await dependent.run(self, connection) }
        let values = try columnValues()
        let key = values[Self.primaryKey] ?? .null
        var sql = "DELETE FROM \(Self.quotedTable) WHERE \(SQLQuoting.identifier(Self.primaryKey)) = ?"
        var arguments = [key]
        if let lockVersion = values[Self.lockingColumn] {
            sql += " AND \(SQLQuoting.identifier(Self.lockingColumn)) IS ?"
            arguments.append(lockVersion)
        }
        let result = try await connection.execute(Statement(sql: sql, arguments: .positional(arguments)))
        if result.rowsAffected == 0 {
            let kind: RecordError.Kind = values[Self.lockingColumn] != nil ? .staleObject : .recordNotFound
            throw RecordError(kind, "Couldn't destroy \(Self.self) with \(Self.primaryKey) = \(key): no matching row", sql: sql)
        }
        try await afterDestroy()
        await registerOutcome(.destroy, on: connection)
    }

    /// Reads the record again from the database.
    public func reload(on connection: RecordConnection? = nil) async throws -> Self {
        try await Self.query(on: connection).find(primaryKeyValue())
    }

    private func registerOutcome(_ action: PersistenceAction, on connection: RecordConnection) async {
        let record = self
        await connection.onOutcome(commit: { await record.afterCommit(action) }, rollback: { await record.afterRollback(action) })
    }

    private mutating func runValidations(on connection: RecordConnection, creating: Bool) async throws {
        try await beforeValidation()
        let errors = try await validationErrors(on: connection, creating: creating)
        try await afterValidation(errors)
        guard errors.isEmpty else {
            throw RecordError(.recordInvalid, "Validation failed: " + errors.fullMessages.joined(separator: ", "), validationErrors: errors)
        }
    }

    /// Runs the model's validations and returns what failed (empty when the record is valid).
    public func validationErrors(on connection: RecordConnection? = nil, creating: Bool? = nil) async throws -> ValidationErrors {
        let connection = try connection ?? Records.connection
        guard !Self.validations.isEmpty else { return ValidationErrors() }
        let values = try columnValues()
        let context = ValidationContext(
            connection: connection, values: values, isNewRecord: creating ?? ((values[Self.primaryKey] ?? .null) == .null))
        var errors = ValidationErrors()
        for validation in Self.validations { try await validation.check(self, context, &errors) }
        return errors
    }

    /// Whether the record passes its validations (Rails' `valid?`).
    public func isValid(on connection: RecordConnection? = nil) async throws -> Bool {
        try await validationErrors(on: connection).isEmpty
    }
}
