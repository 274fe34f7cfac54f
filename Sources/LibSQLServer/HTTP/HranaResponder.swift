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
        case (.get, "/v2"), (.get, "/v3"): return HTTPResponses.text(.ok, HTTPResponses.probeText)
        case (.get, "/health"): return HTTPResponses.empty(.ok)
        case (.get, "/version"): return HTTPResponses.text(.ok, HranaServer.versionString)
        case (_, "/v2/pipeline"), (_, "/v3/pipeline"), (_, "/v3/cursor"), (_, "/v2"), (_, "/v3"), (_, "/health"),
            (_, "/version"):
            var response = HTTPResponses.empty(.methodNotAllowed)
            response.headers[.allow] = normalized.hasPrefix("/v2/") || normalized.hasPrefix("/v3/") ? "POST" : "GET"
            return response
        default:
            if ReplicationEndpoints.matches(normalized) {
                return await ReplicationEndpoints.respond(request, path: normalized, channel: context.channel, core: core)
            }
            return HTTPResponses.empty(.notFound)
        }
    }
}
