import Foundation
import Hrana

/// The body encoding of a Hrana endpoint, chosen by its path alone as in sqld: JSON on `/v2` and `/v3`,
/// protobuf on `/v3-protobuf`.
enum WireEncoding: Sendable, Hashable {
    case json
    case protobuf

    /// The content type of a pipeline response and of a Hrana `Error` body.
    var contentType: String {
        switch self {
        case .json: "application/json"
        case .protobuf: "application/x-protobuf"
        }
    }

    /// The content type of a cursor response body.
    var cursorContentType: String {
        switch self {
        case .json: "text/plain"
        case .protobuf: "application/octet-stream"
        }
    }

    func decode<Body: Decodable & ProtobufMessage>(_ type: Body.Type, from data: Data) throws(HranaCodingError) -> Body {
        switch self {
        case .json: try HranaJSON.decode(type, from: data)
        case .protobuf: try HranaProtobuf.decode(type, from: data)
        }
    }

    /// A pipeline response, as sqld encodes it (in JSON a non-finite float is `null`).
    func encode(_ response: PipelineResponse) throws(HranaCodingError) -> Data {
        switch self {
        case .json: try ResponseEncoding.encode(response)
        case .protobuf: HranaProtobuf.encode(response)
        }
    }

    /// A Hrana `Error` as a whole body (`STREAM_EXPIRED`).
    func encode(_ error: ProtocolError) -> Data {
        switch self {
        case .json: (try? HranaJSON.encode(error)) ?? Data(#"{"message":"","code":null}"#.utf8)
        case .protobuf: HranaProtobuf.encode(error)
        }
    }

    /// One cursor entry, unframed.
    func encode(_ entry: CursorEntry) throws(HranaCodingError) -> Data {
        switch self {
        case .json: try ResponseEncoding.encode(entry)
        case .protobuf: HranaProtobuf.encode(entry)
        }
    }

    /// The first item of a cursor body, framed.
    func cursorHeader(_ header: CursorResponse) throws(HranaCodingError) -> Data {
        switch self {
        case .json: frame(try HranaJSON.encode(header))
        case .protobuf: HranaProtobuf.encodeCursorItem(header)
        }
    }

    /// Frames one encoded cursor item: a line of JSON, or a protobuf message after its varint length.
    func frame(_ item: Data) -> Data {
        switch self {
        case .json:
            var line = item
            line.append(0x0A)
            return line
        case .protobuf:
            var framed = Data()
            framed.reserveCapacity(item.count + 5)
            var length = UInt64(item.count)
            while length >= 0x80 {
                framed.append(UInt8(length & 0x7F) | 0x80)
                length >>= 7
            }
            framed.append(UInt8(length))
            framed.append(item)
            return framed
        }
    }
}
