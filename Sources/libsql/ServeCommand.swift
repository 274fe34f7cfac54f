import ArgumentParser
import Foundation
import LibSQLServer
import Logging

/// `libsql serve`: a local libSQL-compatible (Hrana over HTTP) server on a SQLite file.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a local libSQL server (Hrana over HTTP, like sqld) on a SQLite file.")

    @Option(name: .long, help: "The SQLite database file (created when missing).")
    var db: String = "libsql.db"

    @Option(name: .long, help: "The interface to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The TCP port (0 picks a free port).")
    var port: Int = 8080

    @Option(name: .long, help: "Require this bearer token on every request (also read from LIBSQL_AUTH_TOKEN).")
    var authToken: String?

    @Option(name: .long, help: "A file of Ed25519 public keys (PEM or base64) that verify EdDSA JWTs.")
    var jwtKey: String?

    @Option(name: .long, help: "Seconds a stream may stay idle before it expires.")
    var streamTimeout: Double = 10

    @Option(name: .long, help: "The most streams kept open between requests; a new one beyond it expires the one idle for longest.")
    var maxStreams: Int = 1024

    @Option(name: .long, help: "Seconds a transaction may hold the write lock while another writer waits.")
    var transactionTimeout: Double = 5

    @Option(name: .long, help: "Seconds a statement waits for a lock before failing with SQLITE_BUSY.")
    var busyTimeout: Double = 5

    @Option(name: .long, help: "Seconds a connection may stay silent, also in the middle of a request body, before it is closed.")
    var connectionIdleTimeout: Double = 60

    @Option(name: .long, help: "Microseconds a read-only query may run on its request's task before it moves to a worker thread (0: never inline).")
    var inlineQueryLimit: Int = 200

    @Option(name: .long, help: "The largest pipeline response in bytes.")
    var maxResponseSize: Int = 10_000_000

    @Option(name: .long, help: "The largest request body in bytes.")
    var maxRequestSize: Int = 32 << 20

    @Option(
        name: .long,
        help: "The longest string or blob value, and table row, in bytes (larger ones fail with SQLITE_TOOBIG; the default, 6 MiB, admits 5 MiB values).")
    var maxValueSize: Int = ServerConfiguration.defaultMaxValueSize

    @Option(name: .long, help: "The URL sent as base_url in responses (like SQLD_HTTP_SELF_URL).")
    var selfURL: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(name: .long, help: "Do not capture the WAL for embedded replicas (no /info, /export, /sync; SQLite checkpoints on its own).")
    var noReplication = false

    @Option(name: .long, help: "Cut a replication generation once it holds this many 4 KB frames (keep below 4120 for libsql_experimental).")
    var generationMaxFrames = 2000

    @Option(name: .long, help: "Cut a replication generation with frames once it is this many seconds old.")
    var generationMaxAge: Double = 600

    @Option(name: .long, help: "Keep the history of this many replication generations, the live one included (default: all); older ones answer 410 and their replicas rebuild.")
    var keepGenerations: Int?

    @Option(name: .long, help: "Purge the oldest closed replication generations once their archive exceeds this many bytes; 0 keeps no closed generation.")
    var maxArchiveBytes: Int64 = ReplicationOptions.defaultMaxArchiveBytes

    @Flag(name: .long, help: "fsync every commit before acknowledging it (synchronous=FULL): no acknowledged write is lost on power loss.")
    var durableCommits = false

    @Flag(name: .long, help: .hidden)
    var constantBody = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard streamTimeout > 0, transactionTimeout > 0, busyTimeout > 0, connectionIdleTimeout > 0 else { throw ValidationError("Timeouts must be positive") }
        guard inlineQueryLimit >= 0 else { throw ValidationError("--inline-query-limit must not be negative") }
        guard maxResponseSize > 0, maxRequestSize > 0, maxValueSize > 0 else { throw ValidationError("Sizes must be positive") }
        guard generationMaxFrames > 0, generationMaxAge > 0 else { throw ValidationError("Generation thresholds must be positive") }
        if let keepGenerations, keepGenerations < 1 { throw ValidationError("--keep-generations must be at least 1") }
        if maxArchiveBytes < 0 { throw ValidationError("--max-archive-bytes must not be negative") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        let logger = Logger(label: "libsql.serve") { ConsoleLogHandler(label: $0, logLevel: level) }
        if constantBody {
            try await HranaServer.runConstantBody(host: host, port: port, logger: logger) { port in
                FileHandle.standardOutput.write(Data("constant-body server listening on http://\(host):\(port)\n".utf8))
            }
            return
        }
        var configuration = ServerConfiguration(databasePath: db, host: host, port: port)
        configuration.authToken = authToken ?? ProcessInfo.processInfo.environment["LIBSQL_AUTH_TOKEN"]
        if let jwtKey {
            do {
                configuration.jwtPublicKeys = try JWTPublicKey.load(contentsOfFile: jwtKey)
            } catch {
                throw ValidationError("Cannot read --jwt-key \(jwtKey): \(error)")
            }
        }
        configuration.streamIdleTimeout = .milliseconds(Int64(streamTimeout * 1000))
        configuration.maxStreams = maxStreams
        configuration.transactionTimeout = .milliseconds(Int64(transactionTimeout * 1000))
        configuration.busyTimeout = .milliseconds(Int64(busyTimeout * 1000))
        configuration.connectionIdleTimeout = .milliseconds(Int64(connectionIdleTimeout * 1000))
        configuration.inlineQueryLimit = .microseconds(inlineQueryLimit)
        configuration.maxValueSize = maxValueSize
        configuration.maxResponseSize = maxResponseSize
        configuration.maxRequestBodySize = maxRequestSize
        configuration.selfURL = selfURL
        configuration.replication = ReplicationOptions(
            isEnabled: !noReplication, maxFramesPerGeneration: generationMaxFrames,
            maxGenerationAge: .milliseconds(Int64(generationMaxAge * 1000)), keepGenerations: keepGenerations,
            maxArchiveBytes: maxArchiveBytes)
        configuration.durableCommits = durableCommits
        try await HranaServer.run(configuration, logger: logger) { server in
            FileHandle.standardOutput.write(Data("libsql server listening on \(server.url.absoluteString) (database \(db))\n".utf8))
        }
    }
}
