import Hrana

/// The Hrana subprotocols the client offers, one per upgrade attempt (the WebSocket client does not report which
/// of several offered ones the server chose).
enum WebSocketSubprotocol: String, Sendable, Hashable {
    case hrana3Protobuf = "hrana3-protobuf"
    case hrana3
    case hrana2

    var version: ProtocolVersion { self == .hrana2 ? .v2 : .v3 }
    var isProtobuf: Bool { self == .hrana3Protobuf }
}
