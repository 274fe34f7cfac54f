import Foundation
import Hrana

/// A Hrana WebSocket subprotocol: the protocol version and the encoding of one connection.
enum WebSocketSubprotocol: String, Sendable, CaseIterable {
    case hrana3Protobuf = "hrana3-protobuf"
    case hrana3
    case hrana2
    case hrana1

    /// The Hrana version, 1 to 3, as in ``WebSocketRequest/minimumVersion``.
    var version: Int {
        switch self {
        case .hrana3Protobuf, .hrana3: 3
        case .hrana2: 2
        case .hrana1: 1
        }
    }

    /// The version the stream engine runs requests under (Hrana 1 and 2 share the Hrana 2 rules).
    var streamVersion: ProtocolVersion { version >= 3 ? .v3 : .v2 }

    var encoding: WireEncoding { self == .hrana3Protobuf ? .protobuf : .json }

    /// What a `Sec-WebSocket-Protocol` request header leads to.
    enum Selection: Equatable {
        /// No header: Hrana 1, and no protocol header in the answer.
        case implicitHrana1
        case chosen(WebSocketSubprotocol)
        /// None of the offered subprotocols is supported: the upgrade is declined (400).
        case unsupported
    }

    /// sqld's rule: the first of the server's preference order (`hrana3-protobuf`, `hrana3`, `hrana2`,
    /// `hrana1`) that the client offers, compared without case; the client's order does not matter.
    static func select(offered header: String?) -> Selection {
        guard let header else { return .implicitHrana1 }
        let offered = Set(header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        guard let chosen = allCases.first(where: { offered.contains($0.rawValue) }) else { return .unsupported }
        return .chosen(chosen)
    }
}
