import Foundation
import Hrana

extension Database.Configuration: CustomStringConvertible, CustomDebugStringConvertible {
    /// The configuration with secrets redacted: the auth token, and any `authToken` query parameter of the URL.
    public var description: String {
        var parts = ["url: \(Self.redacting(url))"]
        parts.append("authToken: \(authToken == nil ? "nil" : "<redacted>")")
        parts.append("requestTimeout: \(requestTimeout.map { "\($0)" } ?? "nil")")
        parts.append("concurrency: \(concurrency)")
        parts.append("compression: \(compression)")
        parts.append("protocolVersion: \(protocolVersion.map { "\($0)" } ?? "probe")")
        parts.append("storesSQL: \(storesSQL)")
        parts.append("encoding: \(encoding.rawValue)")
        parts.append("wire: \(wire.rawValue)")
        if tls != .system {
            parts.append("tls: \(tls.additionalTrustRoots.count) additional root source(s), system roots \(tls.trustsSystemRoots ? "on" : "off")")
        }
        return "Configuration(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    static func redacting(_ url: String) -> String {
        guard var components = URLComponents(string: url), let items = components.queryItems else { return url }
        components.queryItems = items.map { item in
            item.name == "authToken" ? URLQueryItem(name: item.name, value: "<redacted>") : item
        }
        return components.string ?? url
    }
}
