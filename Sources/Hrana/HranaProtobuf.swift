import Foundation

/// A Hrana 3 message with a protobuf encoding (`hrana.proto`, `hrana.http.proto`, `hrana.ws.proto`).
///
/// The conformances are hand-written with the field numbers of the spec; use ``HranaProtobuf`` to encode
/// and decode. Conforming types outside this module are not supported.
public protocol ProtobufMessage: Sendable {
    /// Appends the message's fields to `writer`.
    func encode(to writer: inout ProtobufWriter)
    /// Reads the message's fields up to the end of `reader`'s current message.
    static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> Self
}

/// Encodes and decodes Hrana messages in protobuf, the encoding of `hrana3-protobuf` WebSockets and of the
/// `/v3-protobuf` HTTP endpoints. Mirrors ``HranaJSON``.
///
/// ```swift
/// let body = HranaProtobuf.encode(PipelineRequest(baton: nil, requests: [.execute(Stmt(sql: "SELECT 1"))]))
/// let response = try HranaProtobuf.decode(PipelineResponse.self, from: responseBody)
/// ```
///
/// Protobuf carries what JSON cannot (non-finite floats, exact doubles) and loses what proto3 cannot tell
/// apart: an empty repeated field reads back as `nil` (`Stmt.args`), a `nil` baton is simply absent
/// (``PipelineRequest/encodesNullBaton`` reads back as `true`), and a ``BatchResult`` keeps only its non-null
/// steps, so it reads back with as many steps as its last non-null one: size it with
/// ``BatchResult/padded(toStepCount:)``. Fields that are `Optional` in Swift are written whenever they are set,
/// even to zero, so they read back exactly.
public enum HranaProtobuf {
    /// Encodes a message.
    ///
    /// - Parameter explicitWantRows: write `want_rows: true` in every `Stmt` that leaves it unset. sqld reads an
    ///   absent `want_rows` as true, but the reference server (`hrana-test-server`) reads it as false, so a
    ///   client sets it; the decoded message then reads `wantRows == true` instead of `nil`.
    public static func encode(_ message: some ProtobufMessage, explicitWantRows: Bool = false) -> Data {
        var writer = ProtobufWriter()
        writer.explicitWantRows = explicitWantRows
        message.encode(to: &writer)
        return Data(writer.bytes)
    }

    /// Decodes a message; any malformed input throws a ``HranaCodingError`` with its byte offset and path.
    public static func decode<M: ProtobufMessage>(_ type: M.Type, from data: Data) throws(HranaCodingError) -> M {
        let result = data.withUnsafeBytes { raw in decode(type, bytes: raw.bindMemory(to: UInt8.self)) }
        return try result.get()
    }

    static func decode<M: ProtobufMessage>(_ type: M.Type, bytes: UnsafeBufferPointer<UInt8>) -> Result<M, HranaCodingError> {
        var reader = ProtobufReader(bytes)
        do throws(HranaCodingError) {
            return .success(try M.decode(from: &reader))
        } catch {
            return .failure(error)
        }
    }

    /// Encodes the body of a `POST /v3-protobuf/cursor` response: the header, then each entry, every item
    /// preceded by its varint length.
    public static func encodeCursorBody(header: CursorResponse, entries: [CursorEntry]) -> Data {
        var writer = ProtobufWriter()
        writer.lengthDelimited(header)
        for entry in entries { writer.lengthDelimited(entry) }
        return Data(writer.bytes)
    }

    /// Encodes one item of a protobuf cursor body (the header or an entry) with its varint length, for
    /// servers that stream entries as they are produced.
    public static func encodeCursorItem(_ item: some ProtobufMessage) -> Data {
        var writer = ProtobufWriter()
        writer.lengthDelimited(item)
        return Data(writer.bytes)
    }

    /// The highest batch step index accepted in a protobuf ``BatchResult``: step results are a map keyed by
    /// step, and a larger key would make a few hostile bytes allocate a huge array.
    public static let maxBatchStepIndex: UInt32 = 100_000
}
