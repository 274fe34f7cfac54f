import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The Hrana WebSocket upgrade on `GET /`, as sqld accepts it: the subprotocol is negotiated from
/// `Sec-WebSocket-Protocol` (``WebSocketSubprotocol/select(offered:)``), and each upgraded connection is
/// served by a ``WebSocketConnection``. Requests that are not upgrades go on to the HTTP routes. An upgrade
/// that offers no supported subprotocol is declined, which NIO's upgrade handler answers with 400 and no
/// body (sqld adds the list of supported subprotocols as text).
enum WebSocketEndpoint {
    static func shouldUpgrade(
        _ request: HTTPRequest, core: ServerCore
    ) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard request.method == .get, normalizedPath(request.path) == "/" else { return .dontUpgrade }
        let subprotocol: WebSocketSubprotocol
        var headers: HTTPFields = [:]
        switch WebSocketSubprotocol.select(offered: request.headerFields[.secWebSocketProtocol]) {
        case .unsupported: return .dontUpgrade
        case .implicitHrana1: subprotocol = .hrana1
        case .chosen(let chosen):
            subprotocol = chosen
            headers[.secWebSocketProtocol] = chosen.rawValue
        }
        core.counter.record(path: "/ (WebSocket \(subprotocol.rawValue))")
        return .upgrade(headers) { inbound, outbound, _ in
            await WebSocketConnection(core: core, subprotocol: subprotocol, outbound: outbound).run(inbound)
        }
    }

    private static func normalizedPath(_ path: String?) -> String {
        guard let path else { return "" }
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return withoutQuery.isEmpty ? "/" : withoutQuery
    }
}
