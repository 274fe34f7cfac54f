import Hrana

// The names of the wire layer a client user needs, and only those: `import LibSQLClient` does not re-export the
// `Hrana` module (its 260-odd protocol types stay out of the user's namespace; import `Hrana` to use them).

/// A SQL value: `NULL`, a 64-bit integer, a double, text or a blob.
public typealias SQLValue = Hrana.Value
/// How a batch or interactive transaction begins: `.write` (`BEGIN IMMEDIATE`), `.read` (read-only),
/// `.deferred` (`BEGIN DEFERRED`).
public typealias TransactionMode = Hrana.TransactionMode
/// An error code as servers spell it (`SQLITE_CONSTRAINT`, `SQL_PARSE_ERROR`...) plus the client's own codes.
public typealias ErrorCode = Hrana.ErrorCode
/// The kind of constraint a `SQLITE_CONSTRAINT` error violated (`.unique`, `.notNull`, `.foreignKey`...).
public typealias ConstraintKind = Hrana.ConstraintKind
/// A Hrana protocol version (`.v2`, `.v3`), for ``Database/Configuration/protocolVersion``.
public typealias ProtocolVersion = Hrana.ProtocolVersion
