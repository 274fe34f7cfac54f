import Foundation

/// The body of `POST /v3/cursor`: a batch to run on a stream, its results streamed back as entries.
public struct CursorRequest: Sendable, Hashable, Codable {
    /// The stream's baton, or `nil` to open a new stream.
    public var baton: String?
    /// The batch to run.
    public var batch: Batch

    /// Creates a cursor request.
    public init(baton: String?, batch: Batch) {
        self.baton = baton
        self.batch = batch
    }

    private enum CodingKeys: String, CodingKey { case baton, batch }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(baton, forKey: .baton)
        try container.encode(batch, forKey: .batch)
    }
}

/// The first line of a cursor response body.
public struct CursorResponse: Sendable, Hashable, Codable {
    /// The baton for the next request on this stream, or `nil` when the stream was closed.
    public var baton: String?
    /// When set, later requests of this stream go to this URL.
    public var baseURL: String?

    /// Creates a cursor response header.
    public init(baton: String?, baseURL: String?) {
        self.baton = baton
        self.baseURL = baseURL
    }

    private enum CodingKeys: String, CodingKey { case baton, baseURL = "base_url" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(baton, forKey: .baton)
        try container.encode(baseURL, forKey: .baseURL)
    }
}

/// One entry of a cursor response: grammar `(step_begin row* (step_end | step_error) | step_error)* error?`.
public enum CursorEntry: Sendable, Hashable {
    /// A step started and produced these columns.
    case stepBegin(step: UInt32, cols: [Column])
    /// A row of the current step.
    case row([Value])
    /// The current step finished.
    case stepEnd(affectedRowCount: UInt64, lastInsertRowID: Int64?)
    /// A step failed (before or after its `step_begin`).
    case stepError(step: UInt32, error: ProtocolError)
    /// The whole batch failed; always the last entry.
    case error(ProtocolError)
    /// An entry kind this library does not know (sqld's `replication_index`, future kinds); skipped.
    case unknown(type: String)
}

extension CursorEntry: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, step, cols, row, error, affectedRowCount = "affected_row_count"
        case lastInsertRowID = "last_insert_rowid"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "step_begin":
            self = .stepBegin(
                step: try container.decodeNumber(UInt32.self, forKey: .step),
                cols: try container.decode([Column].self, forKey: .cols))
        case "row": self = .row(try container.decode([Value].self, forKey: .row))
        case "step_end":
            self = .stepEnd(
                affectedRowCount: try container.decodeNumber(UInt64.self, forKey: .affectedRowCount),
                lastInsertRowID: try container.decodeFlexibleInt64IfPresent(forKey: .lastInsertRowID))
        case "step_error":
            self = .stepError(
                step: try container.decodeNumber(UInt32.self, forKey: .step),
                error: try container.decode(ProtocolError.self, forKey: .error))
        case "error": self = .error(try container.decode(ProtocolError.self, forKey: .error))
        default: self = .unknown(type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .stepBegin(let step, let cols):
            try container.encode("step_begin", forKey: .type)
            try container.encode(step, forKey: .step)
            try container.encode(cols, forKey: .cols)
        case .row(let row):
            try container.encode("row", forKey: .type)
            try container.encode(row, forKey: .row)
        case .stepEnd(let affectedRowCount, let lastInsertRowID):
            try container.encode("step_end", forKey: .type)
            try container.encode(affectedRowCount, forKey: .affectedRowCount)
            try container.encode(lastInsertRowID.map(String.init), forKey: .lastInsertRowID)
        case .stepError(let step, let error):
            try container.encode("step_error", forKey: .type)
            try container.encode(step, forKey: .step)
            try container.encode(error, forKey: .error)
        case .error(let error):
            try container.encode("error", forKey: .type)
            try container.encode(error, forKey: .error)
        case .unknown(let type):
            try container.encode(type, forKey: .type)
        }
    }
}
