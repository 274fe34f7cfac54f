import Foundation
import Hrana
import Hummingbird

/// Routes HTTP requests to their endpoints, and logs each at debug level with its duration.
struct HranaResponder: HTTPResponder {
    typealias Context = HranaRequestContext

    let core: ServerCore

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        core.counter.record(path: path)
        let response = await route(request, path: path, context: context)
        if core.logger.logLevel <= .debug {
            core.logger.debug(
                "\(request.method) \(path) \(response.status.code)",
                metadata: ["duration": "\(ContinuousClock.now - start)"])
        }
        return response
    }

    private func route(_ request: Request, path: String, context: Context) async -> Response {
        let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        switch (request.method, normalized) {
        case (.post, "/v2/pipeline"): return await PipelineEndpoint(core: core).respond(to: request, version: .v2)
        case (.post, "/v3/pipeline"): return await PipelineEndpoint(core: core).respond(to: request, version: .v3)
        case (.post, "/v3/cursor"): return await CursorEndpoint(core: core).respond(to: request, channel: context.channel)
        case (.post, "/v3-protobuf/pipeline"):
            return await PipelineEndpoint(core: core, encoding: .protobuf).respond(to: request, version: .v3)
        case (.post, "/v3-protobuf/cursor"):
            return await CursorEndpoint(core: core, encoding: .protobuf).respond(to: request, channel: context.channel)
        case (.post, "/v1/execute"): return await V1Endpoint(core: core).execute(request)
        case (.post, "/v1/batch"): return await V1Endpoint(core: core).batch(request)
        case (.get, "/v1"): return HTTPResponses.text(.ok, V1Endpoint.probeText)
        case (.get, "/v2"), (.get, "/v3"), (.get, "/v3-protobuf"): return HTTPResponses.text(.ok, HTTPResponses.probeText)
        case (.get, "/health"): return HTTPResponses.empty(.ok)
        case (.get, "/version"): return HTTPResponses.text(.ok, HranaServer.versionString)
        case (_, "/v2/pipeline"), (_, "/v3/pipeline"), (_, "/v3/cursor"), (_, "/v3-protobuf/pipeline"),
            (_, "/v3-protobuf/cursor"), (_, "/v1/execute"), (_, "/v1/batch"), (_, "/v1"), (_, "/v2"), (_, "/v3"),
            (_, "/v3-protobuf"), (_, "/health"), (_, "/version"):
            var response = HTTPResponses.empty(.methodNotAllowed)
            response.headers[.allow] = normalized.dropFirst().contains("/") ? "POST" : "GET"
            return response
        default:
            if ReplicationEndpoints.matches(normalized) {
                return await ReplicationEndpoints.respond(request, path: normalized, channel: context.channel, core: core)
            }
            return HTTPResponses.empty(.notFound)
        }
    }
}
