import Hrana

/// A protocol violation in a stream request: the HTTP layer answers 400 `text/plain` with `message`
/// and drops the stream.
struct StreamFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason, safe to show to the client.
    var message: String

    init(message: String) {
        self.message = message
    }

    var description: String { message }

    static let closedStream = StreamFailure(message: "Stream for this baton was closed")
    static let invalidConditionReference = StreamFailure(message: "Invalid reference to step in a batch condition")
    static let sqlAndSQLIDBoth = StreamFailure(message: "Both `sql` and `sql_id` are set")
    static let sqlAndSQLIDNeither = StreamFailure(message: "Neither `sql` nor `sql_id` is set")

    static func unknownSQLID(_ id: Int32) -> StreamFailure {
        StreamFailure(message: "SQL text with id \(id) was not found")
    }

    static func sqlIDExists(_ id: Int32) -> StreamFailure {
        StreamFailure(message: "SQL text with id \(id) already exists")
    }

    static func notSupported(_ what: String, version: ProtocolVersion) -> StreamFailure {
        StreamFailure(message: "\(what) is not supported in Hrana \(version.rawValue)")
    }
}
