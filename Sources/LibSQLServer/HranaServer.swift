import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A Hrana-over-HTTP server (the protocol of sqld and Turso) on a local SQLite file in WAL mode.
///
/// It serves `POST /v2/pipeline`, `POST /v3/pipeline`, `POST /v3/cursor`, the `GET /v2` and `GET /v3`
/// probes, `GET /health`, `GET /version`, and, unless ``ServerConfiguration/replication`` is off, libSQL's
/// sync protocol v2 for embedded replicas (`GET /info`, `/export/{gen}`, `/sync/{gen}/{start}/{end}`).
public enum HranaServer {
    /// The text of `GET /version`.
    public static let versionString = "swift-libsql-server 0.1.0"

    /// How long shutdown waits for requests in flight before cancelling them, so that a response that
    /// never completes (for example a client that stopped reading) cannot keep the server running.
    static let shutdownGracePeriod: Duration = .seconds(10)

    /// Starts the server, runs `body` with it, then shuts it down cleanly: open transactions are rolled back,
    /// committed data is checkpointed, and the port is released before this returns.
    public static func withRunning<T: Sendable>(
        _ configuration: ServerConfiguration,
        logger: Logger = Logger(label: "libsql.server", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (RunningServer) async throws -> T
    ) async throws -> T {
        try await serve(configuration, logger: logger, signals: []) { server, _ in try await body(server) }
    }

    /// Runs the server until the task is cancelled or the process receives SIGINT or SIGTERM.
    ///
    /// - Parameter onListening: called once the port is bound (with the actual port when `port` was 0).
    public static func run(
        _ configuration: ServerConfiguration, logger: Logger,
        onListening: @Sendable (RunningServer) -> Void = { _ in }
    ) async throws {
        try await serve(configuration, logger: logger, signals: [.sigint, .sigterm]) { server, stopped in
            logger.debug("libsql server listening", metadata: ["url": "\(server.url.absoluteString)"])
            onListening(server)
            try? await stopped.wait()
            logger.debug("libsql server stopping")
        }
    }

    /// Serves a constant JSON body on every path from the same HTTP stack: the benchmark baseline.
    public static func runConstantBody(host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(
            responder: ConstantResponder(),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }

    /// HTTP/1.1 with the WebSocket upgrade, behind a deadline for the first request head.
    private static func serverBuilder(_ configuration: ServerConfiguration, core: ServerCore) -> HTTPServerBuilder {
        let idleTimeout = TimeAmount(configuration.connectionIdleTimeout)
        let channelConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(idleTimeout: idleTimeout), ws: .init(maxFrameSize: configuration.maxRequestBodySize))
        return HTTPServerBuilder { responder in
            HeadDeadlineChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, configuration: channelConfiguration,
                    shouldUpgrade: { request, _, _ in WebSocketEndpoint.shouldUpgrade(request, core: core) }),
                timeout: idleTimeout)
        }
    }

    private static func serve<T: Sendable>(
        _ configuration: ServerConfiguration, logger: Logger, signals: [UnixSignal],
        _ body: (RunningServer, OnceValue<Void>) async throws -> T
    ) async throws -> T {
        let core = try await ServerCore.open(configuration, logger: logger)
        let port = OnceValue<Int>()
        let stopped = OnceValue<Void>()
        let app = Application(
            responder: HranaResponder(core: core),
            server: serverBuilder(configuration, core: core),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in port.complete(.success(channel.localAddress?.port ?? configuration.port)) },
            logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: signals, logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = shutdownGracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        let result: Result<T, any Error> = await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await group.run()
                    port.complete(.failure(CancellationError()))
                } catch {
                    logger.debug("HTTP server stopped with an error", metadata: ["error": "\(error)"])
                    port.complete(.failure(error))
                }
                stopped.complete(.success(()))
            }
            let outcome: Result<T, any Error>
            do {
                let boundPort = try await port.wait()
                let host = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
                let urlHost = host.contains(":") ? "[\(host)]" : host
                let server = RunningServer(
                    port: boundPort, url: URL(string: "http://\(urlHost):\(boundPort)")!, counter: core.counter,
                    liveStreams: { [registry = core.registry] in registry.liveStreamCount })
                outcome = .success(try await body(server, stopped))
            } catch {
                outcome = .failure(error)
            }
            await group.triggerGracefulShutdown()
            await tasks.waitForAll()
            return outcome
        }
        await core.shutdown()
        return try result.get()
    }
}

/// Answers every request with the same small JSON document.
struct ConstantResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    static let body = ByteBuffer(string: #"{"baton":null,"base_url":null,"results":[]}"#)

    func respond(to request: Request, context: Context) async throws -> Response {
        _ = try await request.body.collect(upTo: 1 << 20)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: Self.body))
    }
}
