import Foundation

/// A list of statements run in order on one stream, each guarded by an optional condition.
///
/// A batch has no implicit transaction: atomicity comes from explicit `BEGIN`/`COMMIT` steps and
/// conditions, which ``BatchBuilder`` writes for you.
public struct Batch: Sendable, Hashable, Codable {
    /// The steps, in execution order.
    public var steps: [BatchStep]
    /// sqld's read-your-writes extension; clients may leave it out.
    public var replicationIndex: UInt64?

    /// Creates a batch.
    public init(steps: [BatchStep]) {
        self.steps = steps
    }

    private enum CodingKeys: String, CodingKey { case steps, replicationIndex = "replication_index" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        steps = try container.decode([BatchStep].self, forKey: .steps)
        replicationIndex = try container.decodeFlexibleUInt64IfPresent(forKey: .replicationIndex)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(steps, forKey: .steps)
        try container.encodeIfPresent(replicationIndex.map(String.init), forKey: .replicationIndex)
    }
}

/// One step of a ``Batch``: a statement and the condition under which it runs (always, when `nil`).
public struct BatchStep: Sendable, Hashable, Codable {
    /// The condition; `nil` means the step always runs.
    public var condition: BatchCondition?
    /// The statement.
    public var stmt: Stmt

    /// Creates a step.
    public init(condition: BatchCondition? = nil, stmt: Stmt) {
        self.condition = condition
        self.stmt = stmt
    }

    private enum CodingKeys: String, CodingKey { case condition, stmt }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(condition, forKey: .condition)
        try container.encode(stmt, forKey: .stmt)
    }
}

/// The condition of a batch step, evaluated against the outcomes of earlier steps.
public indirect enum BatchCondition: Sendable, Hashable {
    /// True when step `n` ran and succeeded.
    case ok(step: UInt32)
    /// True when step `n` ran and failed (a skipped step is neither ok nor error).
    case error(step: UInt32)
    /// Negation.
    case not(BatchCondition)
    /// True when every condition is true (an empty list is true).
    case and([BatchCondition])
    /// True when any condition is true (an empty list is false).
    case or([BatchCondition])
    /// True when the connection is in autocommit mode when the step is about to run (Hrana 3).
    case isAutocommit
}

extension BatchCondition: Codable {
    private enum CodingKeys: String, CodingKey { case type, step, cond, conds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ok": self = .ok(step: try container.decodeNumber(UInt32.self, forKey: .step))
        case "error": self = .error(step: try container.decodeNumber(UInt32.self, forKey: .step))
        case "not": self = .not(try container.decode(BatchCondition.self, forKey: .cond))
        case "and": self = .and(try container.decode([BatchCondition].self, forKey: .conds))
        case "or": self = .or(try container.decode([BatchCondition].self, forKey: .conds))
        case "is_autocommit": self = .isAutocommit
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown batch condition type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ok(let step):
            try container.encode("ok", forKey: .type)
            try container.encode(step, forKey: .step)
        case .error(let step):
            try container.encode("error", forKey: .type)
            try container.encode(step, forKey: .step)
        case .not(let condition):
            try container.encode("not", forKey: .type)
            try container.encode(condition, forKey: .cond)
        case .and(let conditions):
            try container.encode("and", forKey: .type)
            try container.encode(conditions, forKey: .conds)
        case .or(let conditions):
            try container.encode("or", forKey: .type)
            try container.encode(conditions, forKey: .conds)
        case .isAutocommit:
            try container.encode("is_autocommit", forKey: .type)
        }
    }
}

/// The outcome of a batch: for each step a result, an error, or neither (skipped).
public struct BatchResult: Sendable, Hashable, Codable {
    /// One entry per step: the result of a step that succeeded, else `nil`.
    public var stepResults: [StmtResult?]
    /// One entry per step: the error of a step that failed, else `nil`.
    public var stepErrors: [ProtocolError?]
    /// sqld extension: the replication index after the batch.
    public var replicationIndex: UInt64?

    /// Creates a batch result.
    public init(stepResults: [StmtResult?], stepErrors: [ProtocolError?], replicationIndex: UInt64? = nil) {
        self.stepResults = stepResults
        self.stepErrors = stepErrors
        self.replicationIndex = replicationIndex
    }

    private enum CodingKeys: String, CodingKey {
        case stepResults = "step_results", stepErrors = "step_errors", replicationIndex = "replication_index"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stepResults = try container.decode([StmtResult?].self, forKey: .stepResults)
        stepErrors = try container.decode([ProtocolError?].self, forKey: .stepErrors)
        replicationIndex = try container.decodeFlexibleUInt64IfPresent(forKey: .replicationIndex)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stepResults, forKey: .stepResults)
        try container.encode(stepErrors, forKey: .stepErrors)
        try container.encodeIfPresent(replicationIndex.map(String.init), forKey: .replicationIndex)
    }
}

/// What `describe` reports about a statement without running it.
public struct DescribeResult: Sendable, Hashable, Codable {
    /// A parameter: its name with prefix (`:a`, `?5`), or `nil` for an anonymous `?`.
    public struct Param: Sendable, Hashable, Codable {
        /// The name, or `nil`.
        public var name: String?
        /// Creates a parameter description.
        public init(name: String?) { self.name = name }
        private enum CodingKeys: String, CodingKey { case name }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
        }
    }

    /// Parameter `i` describes SQLite parameter `i + 1`.
    public var params: [Param]
    /// The result columns.
    public var cols: [Column]
    /// Whether the statement is an `EXPLAIN`.
    public var isExplain: Bool
    /// Whether the statement leaves the database unchanged.
    public var isReadonly: Bool

    /// Creates a describe result.
    public init(params: [Param], cols: [Column], isExplain: Bool, isReadonly: Bool) {
        self.params = params
        self.cols = cols
        self.isExplain = isExplain
        self.isReadonly = isReadonly
    }

    private enum CodingKeys: String, CodingKey {
        case params, cols, isExplain = "is_explain", isReadonly = "is_readonly"
    }
}

/// A Hrana error: a message and, from sqld and this project's server always, a code.
public struct ProtocolError: Sendable, Hashable, Codable, Error {
    /// The human-readable message.
    public var message: String
    /// The machine-readable code (`SQLITE_CONSTRAINT`, `SQL_PARSE_ERROR`, `STREAM_EXPIRED`...).
    public var code: String?

    /// Creates an error.
    public init(message: String, code: String?) {
        self.message = message
        self.code = code
    }

    private enum CodingKeys: String, CodingKey { case message, code }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(code, forKey: .code)
    }
}
