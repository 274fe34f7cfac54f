/// Why a schema diff or apply stopped. Nothing was changed on the database when one of these is thrown,
/// except for ``Kind/verificationFailed``, which reports that the applied schema differs from the file.
public struct SchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Hashable {
        /// The desired file does not load into SQLite (syntax error, unknown column, non-`CREATE` statement,
        /// a view over a missing table, a foreign key to a missing table).
        case invalidDesiredSchema
        /// Existing rows would violate the desired schema; ``SchemaError/problems`` counts them.
        case dataViolation
        /// The database refused a step of the plan; the whole plan was rolled back.
        case applyFailed
        /// After a successful apply the database still differs from the desired schema.
        case verificationFailed
        /// A rename hint names a table or column that does not exist.
        case invalidRename
        /// The SQLite used to compare schemas failed unexpectedly.
        case internalFailure
    }

    /// What went wrong.
    public var kind: Kind
    /// A message for people.
    public var message: String
    /// For ``Kind/invalidDesiredSchema``: the 1-based number of the failing statement in the file.
    public var statementNumber: Int?
    /// For ``Kind/invalidDesiredSchema``: the 1-based line of the error.
    public var line: Int?
    /// For ``Kind/invalidDesiredSchema``: the 1-based column of the error.
    public var column: Int?
    /// For ``Kind/dataViolation``: what existing rows would break.
    public var problems: [SchemaPlan.DataProblem]
    /// The underlying database error, if any.
    public var underlying: String?

    /// Creates an error.
    public init(
        kind: Kind, message: String, statementNumber: Int? = nil, line: Int? = nil, column: Int? = nil,
        problems: [SchemaPlan.DataProblem] = [], underlying: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.statementNumber = statementNumber
        self.line = line
        self.column = column
        self.problems = problems
        self.underlying = underlying
    }

    public var description: String {
        switch kind {
        case .invalidDesiredSchema: "Invalid schema file: \(message)"
        case .dataViolation: "Existing data does not fit the new schema: \(message)"
        case .applyFailed: "Schema change failed and was rolled back: \(message)"
        case .verificationFailed: "Schema applied, but the database still differs: \(message)"
        case .invalidRename: "Invalid rename hint: \(message)"
        case .internalFailure: "Schema comparison failed: \(message)"
        }
    }
}
