import Foundation

/// A message from client to server on a Hrana WebSocket: `hello` first, then requests.
///
/// Over `hrana1`–`hrana3` each message is one text frame of JSON (``HranaJSON``); over `hrana3-protobuf` one
/// binary frame (``HranaProtobuf``). A client may send requests right after `hello` without waiting for
/// `hello_ok`; from Hrana 2 on, a second `hello` re-authenticates the connection.
public enum ClientMessage: Sendable, Hashable {
    /// Opens (or, from Hrana 2, re-authenticates) the connection with an optional JWT.
    case hello(jwt: String?)
    /// A request; the server echoes `id` in its response.
    case request(id: Int32, WebSocketRequest)
}

/// A message from server to client on a Hrana WebSocket.
public enum ServerMessage: Sendable, Hashable {
    /// The `hello` was accepted.
    case helloOK
    /// The `hello` was refused (bad JWT); the server closes the connection after it.
    case helloError(ProtocolError)
    /// The request with this id succeeded.
    case responseOK(requestID: Int32, WebSocketResponse)
    /// The request with this id failed; the connection and its streams stay usable.
    case responseError(requestID: Int32, ProtocolError)
}

/// A request over WebSocket. Stream, cursor and SQL ids are chosen by the client.
public enum WebSocketRequest: Sendable, Hashable {
    /// Opens a stream (a database connection) under a new id.
    case openStream(streamID: Int32)
    /// Closes a stream, rolling back its open transaction and closing its cursor.
    case closeStream(streamID: Int32)
    /// Executes one statement on a stream.
    case execute(streamID: Int32, Stmt)
    /// Executes a batch on a stream.
    case batch(streamID: Int32, Batch)
    /// Starts a cursor over a batch (Hrana 3); no other request may use the stream until it is closed.
    case openCursor(streamID: Int32, cursorID: Int32, Batch)
    /// Closes a cursor (Hrana 3).
    case closeCursor(cursorID: Int32)
    /// Fetches up to `maxCount` entries of a cursor (Hrana 3).
    case fetchCursor(cursorID: Int32, maxCount: UInt32)
    /// Runs a multi-statement script, discarding rows (Hrana 2): by text or stored id.
    case sequence(streamID: Int32, sql: String?, sqlID: Int32?)
    /// Describes a statement without running it (Hrana 2): by text or stored id.
    case describe(streamID: Int32, sql: String?, sqlID: Int32?)
    /// Stores SQL text on the connection under a client-chosen id (Hrana 2).
    case storeSQL(id: Int32, sql: String)
    /// Forgets stored SQL (Hrana 2); an unknown id is not an error.
    case closeSQL(id: Int32)
    /// Asks whether the stream's connection is in autocommit mode (Hrana 3).
    case getAutocommit(streamID: Int32)

    /// The wire name of the request kind, also the `type` of its response.
    public var type: String { webSocketKindNames[Int(fieldNumber)] }

    /// The first Hrana version with this request kind: 1, 2 or 3, as in the subprotocols `hrana1`-`hrana3`.
    public var minimumVersion: Int {
        switch self {
        case .openStream, .closeStream, .execute, .batch: 1
        case .sequence, .describe, .storeSQL, .closeSQL: 2
        case .openCursor, .closeCursor, .fetchCursor, .getAutocommit: 3
        }
    }
}

/// The successful response to a ``WebSocketRequest``; its ``type`` equals the request's.
public enum WebSocketResponse: Sendable, Hashable {
    /// The stream was opened.
    case openStream
    /// The stream was closed.
    case closeStream
    /// The statement's result.
    case execute(StmtResult)
    /// The batch's result.
    case batch(BatchResult)
    /// The cursor was opened.
    case openCursor
    /// The cursor was closed.
    case closeCursor
    /// The next entries of the cursor; `done` means the cursor has no more entries.
    case fetchCursor(entries: [CursorEntry], done: Bool)
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
    public var type: String { webSocketKindNames[Int(fieldNumber)] }
}

/// The request and response kinds by their protobuf field number in `RequestMsg` / `ResponseOkMsg` (2-13).
let webSocketKindNames = [
    "", "", "open_stream", "close_stream", "execute", "batch", "open_cursor", "close_cursor", "fetch_cursor",
    "sequence", "describe", "store_sql", "close_sql", "get_autocommit",
]
