import Foundation
import LibSQLClient
import Logging

/// The answer to `GET /sync/{generation}/{start}/{end}`.
enum PullResult: Sendable {
    /// Frames `start…` of the generation (at least one).
    case frames([WALFrame], bytes: Int)
    /// Nothing at or after `start`: the primary's current generation is `generation`.
    case endOfGeneration(generation: UInt32)
    /// The generation is no longer served (404/410): the replica must bootstrap again.
    case generationGone
}

/// libSQL's HTTP sync protocol v2, as Turso Cloud serves it: `GET /info`, `GET /export/{g}`,
/// `GET /sync/{g}/{start}/{end}` with `Authorization: Bearer`.
struct SyncProtocolClient: Sendable {
    /// Frames asked for per request, as libSQL's own client does.
    static let batchSize: UInt32 = 128
    /// How often a temporary failure (502, 503, 504) is retried within one request.
    static let retries = 5

    let baseURL: URL
    let authToken: AuthTokenStore
    let transport: any HTTPTransport
    let requestTimeout: Duration
    let logger: Logger

    private var headers: [String: String] {
        var headers = ["x-libsql-client-version": "swift-libsql-replica-0.1"]
        if let token = authToken.current { headers["authorization"] = "Bearer \(token)" }
        return headers
    }

    private func url(_ path: String) -> URL {
        baseURL.appendingPathComponent(path)
    }

    /// `GET /info`: the primary's current generation.
    func currentGeneration() async throws -> UInt32 {
        let (status, body) = try await get("info", limit: 1 << 16)
        if status == 404 || status == 405 {
            throw ReplicaError(
                .serverUnavailable, "The server does not serve libSQL's sync protocol (GET /info)", httpStatus: status)
        }
        guard status == 200 else { throw unexpected(status, body, "/info") }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let generation = (object["current_generation"] as? NSNumber)?.uint32Value, generation >= 1
        else {
            throw ReplicaError(.protocolViolation, "GET /info did not answer {\"current_generation\": N} with N ≥ 1")
        }
        return generation
    }

    /// `GET /export/{generation}` into a new file at `path`; returns the byte count, or `nil` when the generation
    /// is no longer served.
    func export(generation: UInt32, to path: String) async throws -> Int64? {
        let response = try await send("export/\(generation)", timeout: nil)
        if response.status == 404 || response.status == 410 { return nil }
        guard response.status == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 16)) ?? Data()
            throw unexpected(response.status, body, "/export/\(generation)")
        }
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw LocalFiles.failure("create", path) }
        defer { try? handle.close() }
        var total: Int64 = 0
        do {
            for try await chunk in response.body {
                try handle.write(contentsOf: chunk)
                total += Int64(chunk.count)
            }
            try handle.synchronize()
        } catch let error as ReplicaError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ReplicaError(.connectionFailed, "The export download failed: \(Self.describe(error))")
        }
        if let expected = response.headers["content-length"].flatMap(Int64.init), expected != total {
            throw ReplicaError(.connectionFailed, "The export ended after \(total) of \(expected) bytes")
        }
        return total
    }

    /// `GET /sync/{generation}/{start}/{start + batchSize}`.
    func pull(generation: UInt32, start: UInt32) async throws -> PullResult {
        let path = "sync/\(generation)/\(start)/\(start &+ Self.batchSize)"
        let (status, body) = try await get(path, limit: Int(Self.batchSize) * WALFrame.size * 2)
        switch status {
        case 200:
            return .frames(try WALFrame.parse(body), bytes: body.count)
        case 400, 500:
            // 500 too: libSQL documents a server bug that answers 500 {"generation": 1} for an empty database.
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let generation = (object["generation"] as? NSNumber)?.uint32Value
            else { throw unexpected(status, body, "/\(path)") }
            return .endOfGeneration(generation: generation)
        case 404, 410:
            return .generationGone
        default:
            throw unexpected(status, body, "/\(path)")
        }
    }

    // MARK: HTTP

    private func get(_ path: String, limit: Int) async throws -> (Int, Data) {
        let response = try await send(path, timeout: requestTimeout)
        do {
            return (response.status, try await response.body.collect(upTo: limit))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ReplicaError(.connectionFailed, "The response to /\(path) was cut: \(Self.describe(error))")
        }
    }

    /// Sends a GET, retrying 502/503/504 and connection failures with exponential backoff. A TLS failure is not
    /// retried: a certificate that fails verification fails the same way the next time.
    private func send(_ path: String, timeout: Duration?) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            let request = HTTPRequest(method: "GET", url: url(path), headers: headers, timeout: timeout)
            let failure: ReplicaError
            do {
                let response = try await transport.send(request, body: nil)
                switch response.status {
                case 401, 403:
                    throw ReplicaError(.unauthorized, "The server rejected the auth token", httpStatus: response.status)
                case 502, 503, 504:
                    failure = ReplicaError(.serverUnavailable, "The server is unavailable", httpStatus: response.status)
                default:
                    return response
                }
            } catch let error as ReplicaError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                if let tls = LibSQLError.tls(error) { throw ReplicaError(.tlsError, tls.message) }
                failure = ReplicaError(.connectionFailed, "GET /\(path) failed: \(Self.describe(error))")
            }
            attempt += 1
            guard attempt <= Self.retries else { throw failure }
            logger.debug("Retrying a sync request", metadata: ["path": "/\(path)", "error": "\(failure)"])
            try await Task.sleep(for: .milliseconds(100 << (attempt - 1)))
        }
    }

    private func unexpected(_ status: Int, _ body: Data, _ path: String) -> ReplicaError {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return ReplicaError(.protocolViolation, "Unexpected answer to GET \(path): \(text)", httpStatus: status)
    }

    private static func describe(_ error: any Error) -> String {
        String(describing: error).prefix(300).description
    }
}
