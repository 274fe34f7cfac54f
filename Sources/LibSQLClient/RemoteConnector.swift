import AsyncHTTPClient
import Foundation
import Hrana
import NIOCore
import NIOSSL
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Synchronization

/// Sends Hrana requests over an ``HTTPTransport``: headers, the concurrency limit, version probing,
/// decompression, and turning HTTP failures into ``LibSQLError``.
final class RemoteConnector: Sendable {
    let transport: any HTTPTransport
    let ownsTransport: Bool
    let baseURL: URL
    let logger: Logger
    let fixedVersion: ProtocolVersion?
    let storesSQL: Bool
    let encoding: Database.Configuration.Encoding
    private let fixedHeaders: [String: String]
    /// The bearer token of the next request, replaced by ``updateAuthToken(_:)``.
    private let authToken: Mutex<String?>
    private let timeout: Duration?
    private let semaphore: AsyncSemaphore?
    private let versions = Mutex<[URL: Task<ProtocolVersion, any Error>]>([:])
    /// Whether each base URL serves `/v3-protobuf`, probed once when protobuf is asked for.
    private let protobufSupport = Mutex<[URL: Task<Bool, any Error>]>([:])
    private let closed = Atomic<Bool>(false)
    private let background = BackgroundWork()

    /// The largest non-streamed response accepted.
    static let maxResponseSize = 256 << 20

    init(baseURL: URL, authToken: String?, configuration: Database.Configuration, tlsConfiguration: TLSConfiguration?) {
        self.baseURL = baseURL
        if let transport = configuration.transport {
            self.transport = transport
            ownsTransport = false
        } else {
            self.transport = AsyncHTTPClientTransport(
                maximumConnections: max(configuration.concurrency, 1), connectTimeout: .seconds(10),
                tlsConfiguration: tlsConfiguration)
            ownsTransport = true
        }
        var headers = ["content-type": "application/json"]
        if configuration.compression { headers["accept-encoding"] = "gzip" }
        fixedHeaders = headers
        self.authToken = Mutex(authToken)
        timeout = configuration.requestTimeout
        semaphore = configuration.concurrency > 0 ? AsyncSemaphore(permits: configuration.concurrency) : nil
        logger = configuration.logger
        fixedVersion = configuration.protocolVersion
        storesSQL = configuration.storesSQL
        encoding = configuration.protocolVersion == .v2 ? .json : configuration.encoding
    }

    /// The headers of every request: the content type, `accept-encoding`, and the current token.
    private var headers: [String: String] {
        var headers = fixedHeaders
        if let token = authToken.withLock({ $0 }) { headers["authorization"] = "Bearer \(token)" }
        return headers
    }

    /// Sends `token` (or none) with every request from the next one on.
    func updateAuthToken(_ token: String?) {
        authToken.withLock { $0 = token }
    }

    /// Runs fire-and-forget work (closing a drained cursor's stream) that ``shutdown()`` waits for.
    func runInBackground(_ operation: @escaping @Sendable () async -> Void) {
        background.run(operation)
    }

    /// Whether ``shutdown()`` has begun: every exchange fails with `CLIENT_CLOSED` before reaching the network.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    private func checkOpen() throws {
        if isClosed { throw LibSQLError.clientClosed }
    }

    func shutdown() async {
        closed.store(true, ordering: .releasing)
        await background.finish()
        guard ownsTransport else { return }
        do {
            try await transport.shutdown()
        } catch {
            logger.debug("Transport shutdown failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Exchanges

    /// Sends one request under the concurrency limit. The permit is held until the body is read by `read`;
    /// the request timeout bounds the whole exchange, body included.
    func exchange<T: Sendable>(
        method: String, url: URL, body: Data?, protobuf: Bool = false,
        read: @escaping @Sendable (HTTPResponse) async throws -> T
    ) async throws -> T {
        try checkOpen()
        if let semaphore { try await semaphore.wait() }
        defer { semaphore?.signal() }
        try checkOpen()
        var requestHeaders = headers
        if body == nil { requestHeaders["content-type"] = nil }
        if protobuf && body != nil { requestHeaders["content-type"] = "application/x-protobuf" }
        let request = HTTPRequest(method: method, url: url, headers: requestHeaders, timeout: timeout)
        let transport = self.transport
        do {
            return try await withDeadline(timeout, "\(method) \(url.path)") {
                let response = try ResponseDecompression.decompress(try await transport.send(request, body: body))
                return try await read(response)
            }
        } catch {
            throw Self.transportError(error)
        }
    }

    /// Classifies a transport failure by its type: async-http-client's `HTTPClientError`, NIO's `ChannelError`,
    /// Foundation's `URLError`, task cancellation; anything else is a connection error.
    static func transportError(_ error: any Error) -> LibSQLError {
        let text = String(describing: error).prefix(300)
        let timedOut = LibSQLError(code: .timeout, message: "The request timed out (\(text))")
        if let tls = LibSQLError.tls(error) { return tls }
        switch error {
        case let error as LibSQLError:
            return error
        case is CancellationError:
            return .cancelled
        case let error as HTTPClientError:
            if error == .cancelled { return .cancelled }
            if Self.httpClientTimeouts.contains(error) { return timedOut }
        case let error as ChannelError:
            if case .connectTimeout = error { return timedOut }
        case let error as URLError:
            if error.code == .cancelled { return .cancelled }
            if error.code == .timedOut { return timedOut }
        default:
            break
        }
        return LibSQLError(code: .connectionError, message: "The HTTP request failed: \(text)")
    }

    private static let httpClientTimeouts: [HTTPClientError] = [
        .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
        .getConnectionFromPoolTimeout, .httpProxyHandshakeTimeout, .socksHandshakeTimeout,
    ]

    /// Turns a non-2xx response into an error, reading a Hrana error from a JSON body when there is one.
    static func statusError(_ response: HTTPResponse) async -> LibSQLError {
        let status = response.status
        let body = (try? await response.body.collect(upTo: 64 << 10)) ?? Data()
        let contentType = response.headers["content-type"]?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-protobuf"), let hrana = try? HranaProtobuf.decode(ProtocolError.self, from: body) {
            return Self.hranaError(hrana, status: status)
        }
        if contentType.hasPrefix("application/json") {
            if let hrana = try? JSONDecoder().decode(ProtocolError.self, from: body) {
                return Self.hranaError(hrana, status: status)
            }
            if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let text = object["error"] as? String {
                return LibSQLError(code: status == 401 || status == 403 ? .unauthorized : .serverError, message: text, httpStatus: status)
            }
        }
        var text = String(decoding: body.prefix(4096), as: UTF8.self)
        if contentType.hasPrefix("text/html") || text.contains("<html") || text.contains("<HTML") {
            text = text.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
        }
        text = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let snippet = text.isEmpty ? "" : ": " + String(text.prefix(200))
        let code: ErrorCode = status == 401 || status == 403 ? .unauthorized : .serverError
        return LibSQLError(code: code, message: "The server returned HTTP \(status)\(snippet)", httpStatus: status)
    }

    private static func hranaError(_ hrana: ProtocolError, status: Int) -> LibSQLError {
        var error = LibSQLError(hrana, httpStatus: status)
        if error.code == .streamExpired {
            error.message = "The server stream expired after being idle; any open transaction on it was rolled back (\(hrana.message))"
        }
        return error
    }

    // MARK: Protocol version

    /// The protocol version of the server at `base`, probed once and cached; concurrent callers share one probe,
    /// and a failed probe is forgotten so that the next call probes again.
    func version(for base: URL) async throws -> ProtocolVersion {
        if let fixedVersion { return fixedVersion }
        if try await usesProtobuf(for: base) { return .v3 }
        let task = versions.withLock { versions in
            if let task = versions[base] { return task }
            let task = Task { try await self.probe(base) }
            versions[base] = task
            return task
        }
        do {
            return try await task.value
        } catch {
            versions.withLock { versions in
                if versions[base] == task { versions[base] = nil }
            }
            throw error
        }
    }

    /// Whether requests to `base` go to `/v3-protobuf`: protobuf was asked for and `GET /v3-protobuf` answers
    /// 2xx (probed once and cached, like the version).
    func usesProtobuf(for base: URL) async throws -> Bool {
        guard encoding == .protobuf else { return false }
        let task = protobufSupport.withLock { probes in
            if let task = probes[base] { return task }
            let task = Task { () throws -> Bool in
                let url = Self.resolve("v3-protobuf", against: base)
                let ok = try await self.exchange(method: "GET", url: url, body: nil) { response -> Bool in
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    return (200..<300).contains(response.status)
                }
                self.logger.debug("Probed Hrana 3 protobuf", metadata: ["supported": "\(ok)"])
                return ok
            }
            probes[base] = task
            return task
        }
        do {
            return try await task.value
        } catch {
            protobufSupport.withLock { probes in
                if probes[base] == task { probes[base] = nil }
            }
            throw error
        }
    }

    private func probe(_ base: URL) async throws -> ProtocolVersion {
        for candidate in [ProtocolVersion.v3, .v2] {
            let url = Self.resolve(candidate.pathComponent, against: base)
            let ok = try await exchange(method: "GET", url: url, body: nil) { response -> Bool in
                _ = try? await response.body.collect(upTo: 1 << 16)
                return (200..<300).contains(response.status)
            }
            if ok {
                logger.debug("Probed Hrana version", metadata: ["version": "\(candidate.rawValue)"])
                return candidate
            }
        }
        throw LibSQLError(
            code: .protocolVersionError, message: "The server at \(base.host ?? "?") answers neither GET /v3 nor GET /v2")
    }

    /// Resolves a relative path against a base URL with RFC 3986 rules (`https://h/db` + `v3/pipeline` ⇒
    /// `https://h/v3/pipeline`; `https://h/db/` keeps `db/`).
    static func resolve(_ path: String, against base: URL) -> URL {
        URL(string: path, relativeTo: base)?.absoluteURL ?? base.appendingPathComponent(path)
    }

    // MARK: Pipeline

    /// Posts a pipeline and returns the server's response; the results count is checked.
    func pipeline(_ request: PipelineRequest, base: URL, version: ProtocolVersion) async throws -> PipelineResponse {
        let protobuf = try await usesProtobuf(for: base)
        let body: Data
        do {
            body = protobuf ? HranaProtobuf.encode(request, explicitWantRows: true) : try HranaJSON.encode(request)
        } catch {
            throw LibSQLError(code: .valueError, message: "Could not encode the request: \(error)")
        }
        let url = Self.resolve(protobuf ? "v3-protobuf/pipeline" : version.pipelinePath, against: base)
        let response = try await exchange(method: "POST", url: url, body: body, protobuf: protobuf) { response -> PipelineResponse in
            guard (200..<300).contains(response.status) else { throw await Self.statusError(response) }
            let data = try await response.body.collect(upTo: Self.maxResponseSize)
            do {
                return protobuf
                    ? try HranaProtobuf.decode(PipelineResponse.self, from: data)
                    : try HranaJSON.decode(PipelineResponse.self, from: data)
            } catch {
                throw LibSQLError(code: .hranaProtocolError, message: "Invalid pipeline response: \(error)", httpStatus: response.status)
            }
        }
        guard response.results.count == request.requests.count else {
            throw LibSQLError(
                code: .hranaProtocolError,
                message: "The server returned \(response.results.count) results for \(request.requests.count) requests")
        }
        return protobuf ? Self.paddingBatchResults(response, for: request) : response
    }

    /// In protobuf a batch result's steps are maps keyed by step, so trailing steps that neither ran nor failed
    /// are absent; restores them as `nil` up to the batch's step count.
    static func paddingBatchResults(_ response: PipelineResponse, for request: PipelineRequest) -> PipelineResponse {
        var padded = response
        for (index, stream) in request.requests.enumerated() {
            guard case .batch(let batch) = stream, case .ok(.batch(var result)) = padded.results[index] else { continue }
            let count = batch.steps.count
            if result.stepResults.count < count {
                result.stepResults += Array(repeating: nil, count: count - result.stepResults.count)
            }
            if result.stepErrors.count < count {
                result.stepErrors += Array(repeating: nil, count: count - result.stepErrors.count)
            }
            padded.results[index] = .ok(.batch(result))
        }
        return padded
    }

    // MARK: Cursor

    /// Posts a cursor request; returns the header and a reader of entries that pulls the body on demand.
    func cursor(_ request: CursorRequest, base: URL) async throws -> (CursorResponse, CursorEntryReader) {
        let protobuf = try await usesProtobuf(for: base)
        let body: Data
        do {
            body = protobuf ? HranaProtobuf.encode(request, explicitWantRows: true) : try HranaJSON.encode(request)
        } catch {
            throw LibSQLError(code: .valueError, message: "Could not encode the request: \(error)")
        }
        let url = Self.resolve(protobuf ? "v3-protobuf/cursor" : "v3/cursor", against: base)
        try checkOpen()
        if let semaphore { try await semaphore.wait() }
        var permitHeld = semaphore != nil
        defer { if permitHeld { semaphore?.signal() } }
        var requestHeaders = headers
        if protobuf { requestHeaders["content-type"] = "application/x-protobuf" }
        let request = HTTPRequest(method: "POST", url: url, headers: requestHeaders, timeout: timeout)
        let (transport, timeout) = (self.transport, self.timeout)
        var release: (@Sendable () -> Void)?
        if let semaphore { release = { semaphore.signal() } }
        do {
            try checkOpen()
            let reader = try await withDeadline(timeout, "POST \(url.path)") { @Sendable () async throws -> CursorEntryReader in
                let response = try ResponseDecompression.decompress(try await transport.send(request, body: body))
                guard (200..<300).contains(response.status) else { throw await Self.statusError(response) }
                let reader = CursorEntryReader(body: response.body, chunkTimeout: timeout, protobuf: protobuf)
                _ = try await reader.readHeader()
                return reader
            }
            permitHeld = false
            reader.adoptPermit(release)
            return (try await reader.readHeader(), reader)
        } catch {
            throw Self.transportError(error)
        }
    }
}

/// Reads cursor entries from a streaming body, a chunk at a time; releases its concurrency permit at the end.
/// Each chunk of the body must arrive within `chunkTimeout` of being asked for.
final class CursorEntryReader: @unchecked Sendable {
    private let chunks: HTTPBody.Reader
    private let chunkTimeout: Duration?
    /// The body's decoder: exactly one of the two is set (mutated in place, never copied).
    private var jsonDecoder: CursorBodyDecoder?
    private var protobufDecoder: ProtobufCursorBodyDecoder?
    private var pending: [CursorEntry] = []
    private var pendingIndex = 0
    private var finished = false
    private var release: (@Sendable () -> Void)?

    init(body: HTTPBody, chunkTimeout: Duration?, protobuf: Bool = false) {
        chunks = body.makeAsyncIterator().reader
        self.chunkTimeout = chunkTimeout
        if protobuf { protobufDecoder = ProtobufCursorBodyDecoder() } else { jsonDecoder = CursorBodyDecoder() }
    }

    /// Takes over the concurrency permit of the request, released when the body ends or the reader goes away.
    func adoptPermit(_ release: (@Sendable () -> Void)?) {
        if finished {
            release?()
        } else {
            self.release = release
        }
    }

    deinit { release?() }

    func readHeader() async throws -> CursorResponse {
        while header == nil {
            guard try await fill() else { break }
        }
        guard let header else {
            throw LibSQLError(code: .hranaProtocolError, message: "The cursor response has no header line")
        }
        return header
    }

    private var header: CursorResponse? { jsonDecoder?.header ?? protobufDecoder?.header }

    /// The next entry, or `nil` at the end of the body.
    func next() async throws -> CursorEntry? {
        while pendingIndex >= pending.count {
            guard try await fill() else { return nil }
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    private func fill() async throws -> Bool {
        if finished { return false }
        pending.removeAll(keepingCapacity: true)
        pendingIndex = 0
        do {
            let chunks = self.chunks
            if let chunk = try await withDeadline(chunkTimeout, "Reading the cursor response", { try await chunks.next() }) {
                pending = jsonDecoder != nil ? try jsonDecoder!.feed(chunk) : try protobufDecoder!.feed(chunk)
            } else {
                if jsonDecoder != nil {
                    pending = try jsonDecoder!.finish()
                } else {
                    try protobufDecoder!.finish()
                }
                finished = true
                release?()
                release = nil
            }
        } catch let error as HranaCodingError {
            finish()
            throw LibSQLError(code: .hranaProtocolError, message: "Invalid cursor response: \(error)")
        } catch let error as LibSQLError {
            finish()
            throw error
        } catch {
            finish()
            throw RemoteConnector.transportError(error)
        }
        return true
    }

    private func finish() {
        finished = true
        release?()
        release = nil
    }
}
