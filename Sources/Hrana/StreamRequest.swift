import Foundation

/// One request of an HTTP pipeline, run on the pipeline's stream.
public enum StreamRequest: Sendable, Hashable {
    /// Close the stream (rolling back any open transaction).
    case close
    /// Execute one statement.
    case execute(Stmt)
    /// Execute a batch.
    case batch(Batch)
    /// Execute a multi-statement script, discarding rows: by text or stored id.
    case sequence(sql: String?, sqlID: Int32?)
    /// Describe a statement without running it: by text or stored id.
    case describe(sql: String?, sqlID: Int32?)
    /// Store SQL text on the stream under a client-chosen id.
    case storeSQL(id: Int32, sql: String)
    /// Forget stored SQL.
    case closeSQL(id: Int32)
    /// Ask whether the stream's connection is in autocommit mode (Hrana 3).
    case getAutocommit

    /// The wire name of the request kind, also the `type` of its response.
    public var type: String {
        switch self {
        case .close: "close"
        case .execute: "execute"
        case .batch: "batch"
        case .sequence: "sequence"
        case .describe: "describe"
        case .storeSQL: "store_sql"
        case .closeSQL: "close_sql"
        case .getAutocommit: "get_autocommit"
        }
    }
}

extension StreamRequest: Codable {
    private enum CodingKeys: String, CodingKey { case type, stmt, batch, sql, sqlID = "sql_id" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "close": self = .close
        case "execute": self = .execute(try container.decode(Stmt.self, forKey: .stmt))
        case "batch": self = .batch(try container.decode(Batch.self, forKey: .batch))
        case "sequence":
            self = .sequence(
                sql: try container.decodeIfPresent(String.self, forKey: .sql),
                sqlID: try container.decodeNumberIfPresent(Int32.self, forKey: .sqlID))
        case "describe":
            self = .describe(
                sql: try container.decodeIfPresent(String.self, forKey: .sql),
                sqlID: try container.decodeNumberIfPresent(Int32.self, forKey: .sqlID))
        case "store_sql":
            self = .storeSQL(
                id: try container.decodeNumber(Int32.self, forKey: .sqlID), sql: try container.decode(String.self, forKey: .sql))
        case "close_sql": self = .closeSQL(id: try container.decodeNumber(Int32.self, forKey: .sqlID))
        case "get_autocommit": self = .getAutocommit
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown stream request type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .close, .getAutocommit: break
        case .execute(let stmt): try container.encode(stmt, forKey: .stmt)
        case .batch(let batch): try container.encode(batch, forKey: .batch)
        case .sequence(let sql, let sqlID), .describe(let sql, let sqlID):
            try container.encodeIfPresent(sql, forKey: .sql)
            try container.encodeIfPresent(sqlID, forKey: .sqlID)
        case .storeSQL(let id, let sql):
            try container.encode(id, forKey: .sqlID)
            try container.encode(sql, forKey: .sql)
        case .closeSQL(let id): try container.encode(id, forKey: .sqlID)
        }
    }
}

/// The successful response to a ``StreamRequest``; its ``type`` equals the request's.
public enum StreamResponse: Sendable, Hashable {
    /// The stream was closed.
    case close
    /// The statement's result.
    case execute(StmtResult)
    /// The batch's result.
    case batch(BatchResult)
    /// The script ran.
    case sequence
    /// The statement's description.
    case describe(DescribeResult)
    /// The SQL was stored.
    case storeSQL
    /// The SQL was forgotten.
    case closeSQL
    /// Whether the connection is in autocommit mode.
    case getAutocommit(isAutocommit: Bool)

    /// The wire name of the response kind.
    public var type: String {
        switch self {
        case .close: "close"
        case .execute: "execute"
        case .batch: "batch"
        case .sequence: "sequence"
        case .describe: "describe"
        case .storeSQL: "store_sql"
        case .closeSQL: "close_sql"
        case .getAutocommit: "get_autocommit"
        }
    }
}

extension StreamResponse: Codable {
    private enum CodingKeys: String, CodingKey { case type, result, isAutocommit = "is_autocommit" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "close": self = .close
        case "execute": self = .execute(try container.decode(StmtResult.self, forKey: .result))
        case "batch": self = .batch(try container.decode(BatchResult.self, forKey: .result))
        case "sequence": self = .sequence
        case "describe": self = .describe(try container.decode(DescribeResult.self, forKey: .result))
        case "store_sql": self = .storeSQL
        case "close_sql": self = .closeSQL
        case "get_autocommit":
            self = .getAutocommit(isAutocommit: try container.decode(Bool.self, forKey: .isAutocommit))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown stream response type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .close, .sequence, .storeSQL, .closeSQL: break
        case .execute(let result): try container.encode(result, forKey: .result)
        case .batch(let result): try container.encode(result, forKey: .result)
        case .describe(let result): try container.encode(result, forKey: .result)
        case .getAutocommit(let isAutocommit): try container.encode(isAutocommit, forKey: .isAutocommit)
        }
    }
}
