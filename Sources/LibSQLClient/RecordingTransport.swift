import Foundation
import Hrana
import Synchronization

/// Wraps a transport and writes every exchange as a fixture file `NNN-name.json` into a folder, in the format
/// of `Tests/Fixtures/README.md` §1, so that ``ReplayTransport`` can serve it back without a server.
///
/// Responses are read whole and stored uncompressed. Authorization headers are never recorded.
public final class RecordingTransport: HTTPTransport {
    private let base: any HTTPTransport
    private let directory: URL
    private let scenario: String
    private let counter = Mutex(0)

    /// Records into `directory` (created if needed; existing `*.json` files are removed first).
    public init(wrapping base: any HTTPTransport, directory: URL, scenario: String) throws {
        self.base = base
        self.directory = directory
        self.scenario = scenario
        let files = FileManager.default
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in try files.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) where file.pathExtension == "json" {
            try files.removeItem(at: file)
        }
    }

    public func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        var plain = request
        plain.headers["accept-encoding"] = nil
        let response = try await base.send(plain, body: body)
        let data = request.url.path.hasSuffix("/cursor") && (200..<300).contains(response.status)
            ? try await Self.collectCursor(response.body, steps: Self.stepCount(body))
            : try await response.body.collect(upTo: 1 << 30)
        let number = counter.withLock { count -> Int in
            count += 1
            return count
        }
        let exchange = RecordedExchange(
            description: Self.describe(request, body: body), scenario: scenario, method: request.method,
            path: request.url.path, requestBody: body, status: response.status,
            responseContentType: response.headers["content-type"] ?? "", responseBody: data)
        let name = String(format: "%03d-%@.json", number, Self.shortName(request, body: body))
        try exchange.fileData().write(to: directory.appendingPathComponent(name))
        var headers = response.headers
        headers["content-length"] = String(data.count)
        return HTTPResponse(status: response.status, headers: headers, body: HTTPBody(data))
    }

    public func shutdown() async throws {
        try await base.shutdown()
    }

    /// Reads a cursor body until it ends or every step has ended, so a server that keeps the body open after
    /// the last entry cannot stall the recording.
    static func collectCursor(_ body: HTTPBody, steps: Int) async throws -> Data {
        var data = Data()
        var finished = 0
        for try await chunk in body {
            data.append(chunk)
            finished = String(decoding: data, as: UTF8.self).split(separator: "\n").filter {
                $0.contains("\"type\":\"step_end\"") || $0.contains("\"type\":\"step_error\"") || $0.hasPrefix("{\"type\":\"error\"")
            }.count
            if steps > 0 && finished >= steps && data.last == UInt8(ascii: "\n") { break }
        }
        return data
    }

    static func stepCount(_ body: Data?) -> Int {
        guard let object = JSONComparison.parse(body) as? [String: Any], let batch = object["batch"] as? [String: Any],
              let steps = batch["steps"] as? [Any]
        else { return 0 }
        return steps.count
    }

    static func requestTypes(_ body: Data?) -> [String] {
        guard let object = JSONComparison.parse(body) as? [String: Any] else { return [] }
        if let requests = object["requests"] as? [[String: Any]] {
            return requests.compactMap { $0["type"] as? String }
        }
        return object["batch"] != nil ? ["cursor"] : []
    }

    static func shortName(_ request: HTTPRequest, body: Data?) -> String {
        if request.method == "GET" {
            return "get-" + (request.url.lastPathComponent.isEmpty ? "root" : request.url.lastPathComponent)
        }
        let types = requestTypes(body)
        let name = types.isEmpty ? "empty" : types.prefix(4).joined(separator: "-").replacingOccurrences(of: "_", with: "-")
        return String(name.prefix(60))
    }

    static func describe(_ request: HTTPRequest, body: Data?) -> String {
        if request.method == "GET" { return "Version probe \(request.url.path)" }
        let hasBaton = (JSONComparison.parse(body) as? [String: Any])?["baton"].map { !($0 is NSNull) } ?? false
        return "\(request.url.path) with \(requestTypes(body).joined(separator: ", ")) on \(hasBaton ? "an open" : "a new") stream"
    }
}
