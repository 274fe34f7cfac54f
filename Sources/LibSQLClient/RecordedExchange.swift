import Foundation
import Hrana

/// One recorded HTTP exchange in the fixture format of `Tests/Fixtures/README.md` §1.
public struct RecordedExchange: Sendable {
    /// What the exchange does.
    public var description: String
    /// The scenario it belongs to.
    public var scenario: String
    /// The HTTP method.
    public var method: String
    /// The request path (`/v3/pipeline`...).
    public var path: String
    /// The request body, compact JSON, or `nil` for a GET.
    public var requestBody: Data?
    /// The response status.
    public var status: Int
    /// The response `Content-Type`.
    public var responseContentType: String
    /// The response body bytes (uncompressed).
    public var responseBody: Data

    /// Creates an exchange.
    public init(
        description: String, scenario: String, method: String, path: String, requestBody: Data?, status: Int,
        responseContentType: String, responseBody: Data
    ) {
        self.description = description
        self.scenario = scenario
        self.method = method
        self.path = path
        self.requestBody = requestBody
        self.status = status
        self.responseContentType = responseContentType
        self.responseBody = responseBody
    }

    /// Reads a fixture file.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw LibSQLError(code: .hranaProtocolError, message: "\(url.lastPathComponent) is not a fixture object")
        }
        description = object["description"] as? String ?? ""
        scenario = object["scenario"] as? String ?? ""
        method = object["method"] as? String ?? "POST"
        path = object["path"] as? String ?? "/"
        if let body = object["request_body"], !(body is NSNull) {
            requestBody = try JSONSerialization.data(withJSONObject: body, options: [.fragmentsAllowed])
        }
        status = object["status"] as? Int ?? 200
        responseContentType = object["response_content_type"] as? String ?? "application/json"
        switch object["response_body"] {
        case let text as String: responseBody = Data(text.utf8)
        case nil, is NSNull: responseBody = Data()
        case let json?: responseBody = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
        }
    }

    /// Reads every fixture of a folder, in file-name order.
    public static func load(directory: URL) throws -> [RecordedExchange] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map(RecordedExchange.init(contentsOf:))
    }

    /// The fixture file content: pretty-printed JSON with sorted keys.
    public func fileData() throws -> Data {
        var object: [String: Any] = [
            "description": description, "scenario": scenario, "method": method, "path": path,
            "request_headers": requestBody == nil ? [String: String]() : ["content-type": "application/json"],
            "status": status, "response_content_type": responseContentType,
        ]
        object["request_body"] = try requestBody.map { try JSONSerialization.jsonObject(with: $0) } ?? NSNull()
        let isJSON = responseContentType.lowercased().hasPrefix("application/json")
        if isJSON, let json = try? JSONSerialization.jsonObject(with: responseBody, options: [.fragmentsAllowed]) {
            object["response_body"] = json
        } else {
            let text = String(decoding: responseBody, as: UTF8.self)
            object["response_body"] = text
            if path.hasSuffix("/cursor"), (200..<300).contains(status) {
                object["response_lines"] = text.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8))
                }
            }
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

/// Compares JSON documents as values (key order and number formatting do not matter).
enum JSONComparison {
    static func parse(_ data: Data?) -> Any? {
        guard let data, !data.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    static func equal(_ lhs: Any?, _ rhs: Any?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): return true
        case (let l as [String: Any], let r as [String: Any]):
            return l.count == r.count && l.allSatisfy { key, value in r[key].map { equal(value, $0) } ?? false }
        case (let l as [Any], let r as [Any]):
            return l.count == r.count && zip(l, r).allSatisfy { equal($0, $1) }
        case (let l as String, let r as String): return l == r
        case (is NSNull, is NSNull): return true
        case (let l as NSNumber, let r as NSNumber): return l == r
        default: return false
        }
    }

    /// Drops what does not change a request's meaning: the baton, empty `args`/`named_args`, `want_rows: true`,
    /// a `null` condition.
    static func normalized(_ value: Any?, dropBaton: Bool) -> Any? {
        switch value {
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (key, item) in object {
                if dropBaton && key == "baton" { continue }
                if key == "args" || key == "named_args", let list = item as? [Any], list.isEmpty { continue }
                if key == "want_rows", let flag = item as? Bool, flag { continue }
                if key == "condition", item is NSNull { continue }
                if key == "named_args", let list = item as? [[String: Any]] {
                    result[key] = normalized(list.sorted { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }, dropBaton: false)
                    continue
                }
                result[key] = normalized(item, dropBaton: false)
            }
            return result
        case let list as [Any]:
            return list.map { normalized($0, dropBaton: false) as Any }
        default:
            return value
        }
    }
}
