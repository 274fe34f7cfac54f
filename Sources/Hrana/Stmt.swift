import Foundation

/// One SQL statement with its arguments: the `Stmt` structure of the Hrana spec.
///
/// Optional keys stay absent on the wire when they are `nil`, so a request encodes exactly as it was built
/// (libsql-client-ts sends every key; other clients leave defaults out). Read ``effectiveArgs``,
/// ``effectiveNamedArgs`` and ``effectiveWantRows`` for the values a server should use.
public struct Stmt: Sendable, Hashable, Codable {
    /// The SQL text; exactly one of `sql` and `sqlID` is set in a valid statement.
    public var sql: String?
    /// The id of SQL text stored earlier on the stream with `store_sql`.
    public var sqlID: Int32?
    /// Positional arguments (`?`, `?NNN`).
    public var args: [Value]?
    /// Named arguments (`:name`, `@name`, `$name`).
    public var namedArgs: [NamedArg]?
    /// Whether the server should return rows; absent means `true`.
    public var wantRows: Bool?
    /// sqld's read-your-writes extension; clients may leave it out.
    public var replicationIndex: UInt64?

    /// Creates a statement from SQL text.
    public init(sql: String, args: [Value]? = nil, namedArgs: [NamedArg]? = nil, wantRows: Bool? = nil) {
        self.sql = sql
        self.args = args
        self.namedArgs = namedArgs
        self.wantRows = wantRows
    }

    /// Creates a statement that runs SQL stored with `store_sql`.
    public init(sqlID: Int32, args: [Value]? = nil, namedArgs: [NamedArg]? = nil, wantRows: Bool? = nil) {
        self.sqlID = sqlID
        self.args = args
        self.namedArgs = namedArgs
        self.wantRows = wantRows
    }

    /// The positional arguments, empty when absent.
    public var effectiveArgs: [Value] { args ?? [] }
    /// The named arguments, empty when absent.
    public var effectiveNamedArgs: [NamedArg] { namedArgs ?? [] }
    /// Whether rows are wanted; `true` when absent.
    public var effectiveWantRows: Bool { wantRows ?? true }

    private enum CodingKeys: String, CodingKey {
        case sql, sqlID = "sql_id", args, namedArgs = "named_args", wantRows = "want_rows"
        case replicationIndex = "replication_index"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sql = try container.decodeIfPresent(String.self, forKey: .sql)
        sqlID = try container.decodeNumberIfPresent(Int32.self, forKey: .sqlID)
        args = try container.decodeIfPresent([Value].self, forKey: .args)
        namedArgs = try container.decodeIfPresent([NamedArg].self, forKey: .namedArgs)
        wantRows = try container.decodeIfPresent(Bool.self, forKey: .wantRows)
        replicationIndex = try container.decodeFlexibleUInt64IfPresent(forKey: .replicationIndex)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(sql, forKey: .sql)
        try container.encodeIfPresent(sqlID, forKey: .sqlID)
        try container.encodeIfPresent(args, forKey: .args)
        try container.encodeIfPresent(namedArgs, forKey: .namedArgs)
        try container.encodeIfPresent(wantRows, forKey: .wantRows)
        try container.encodeIfPresent(replicationIndex.map(String.init), forKey: .replicationIndex)
    }
}

/// A named argument of a ``Stmt``. The name may carry its prefix (`:a`) or not (`a`).
public struct NamedArg: Sendable, Hashable, Codable {
    /// The parameter name, with or without its `:`, `@` or `$` prefix.
    public var name: String
    /// The bound value.
    public var value: Value

    /// Creates a named argument.
    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }
}
