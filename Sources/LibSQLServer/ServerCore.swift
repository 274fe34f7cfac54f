import Foundation
import Hrana
import Logging

/// Everything one running server shares: the database, the streams, the worker threads, auth and counters.
final class ServerCore: Sendable {
    let configuration: ServerConfiguration
    let logger: Logger
    let database: EngineDatabase
    let registry: StreamRegistry
    let executor: BlockingExecutor
    let authenticator: Authenticator
    let counter = RequestCounter()
    let streamPool = StreamPool()
    /// How long a query may run inline (see ``ServerConfiguration/inlineQueryLimit``); `nil` when never.
    let inlineQueryLimit: Duration?
    /// The WAL capture for embedded replicas; `nil` when replication is off.
    let replication: ReplicationLog?
    /// Enforces the transaction timeout and expires idle streams every 100 ms.
    private let maintenance: PeriodicThread
    /// Runs ``ReplicationLog/tick()`` (capture, and cuts at the thresholds) every poll interval.
    private let capture: PeriodicThread?
    /// A connection kept open for the server's lifetime, so that closing the last stream does not make
    /// SQLite checkpoint and delete the WAL on every request.
    private let keeper: HranaStream?

    private init(
        configuration: ServerConfiguration, logger: Logger, database: EngineDatabase, keeper: HranaStream?,
        executor: BlockingExecutor, replication: ReplicationLog?
    ) {
        self.keeper = keeper
        self.replication = replication
        self.configuration = configuration
        self.logger = logger
        self.database = database
        self.executor = executor
        inlineQueryLimit = configuration.inlineQueryLimit > .zero ? configuration.inlineQueryLimit : nil
        registry = StreamRegistry(
            idleTimeout: configuration.streamIdleTimeout, retention: configuration.expiredStreamRetention,
            maxStreams: configuration.maxStreams)
        authenticator = Authenticator(token: configuration.authToken, keys: configuration.jwtPublicKeys)
        let registry = registry
        maintenance = PeriodicThread(name: "libsql-server-maintenance", interval: .milliseconds(100)) {
            database.enforceTransactionTimeout()
            let expired = registry.sweep()
            for stream in expired { stream.close() }
            if !expired.isEmpty { logger.debug("Expired idle streams", metadata: ["count": "\(expired.count)"]) }
        }
        capture = replication.map { log in
            PeriodicThread(name: "libsql-replication-capture", interval: log.options.pollInterval) { log.tick() }
        }
    }

    /// Opens the database and starts the worker threads.
    static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> ServerCore {
        var engineConfiguration = EngineConfiguration(databasePath: configuration.databasePath)
        engineConfiguration.busyTimeout = configuration.busyTimeout
        engineConfiguration.transactionTimeout = configuration.transactionTimeout
        engineConfiguration.maxResponseSize = configuration.maxResponseSize
        engineConfiguration.maxValueSize = configuration.maxValueSize
        engineConfiguration.keepsWAL = configuration.replication.isEnabled
        engineConfiguration.synchronousFull = configuration.durableCommits
        let executor = BlockingExecutor(threads: configuration.workerThreads)
        let finalConfiguration = engineConfiguration
        let replicationOptions = configuration.replication
        let opened: Result<(EngineDatabase, HranaStream?, ReplicationLog?), any Error> = try await executor.run {
            Result {
                let database = try EngineDatabase(configuration: finalConfiguration, logger: logger)
                let keeper = try? database.openStream()
                do {
                    let replication = replicationOptions.isEnabled
                        ? try ReplicationLog.open(
                            databasePath: finalConfiguration.databasePath, options: replicationOptions,
                            writeQueue: database.writeQueue, commits: database.commits, logger: logger)
                        : nil
                    return (database, keeper, replication)
                } catch {
                    keeper?.close()
                    database.close()
                    throw error
                }
            }
        }
        switch opened {
        case .success(let (database, keeper, replication)):
            return ServerCore(
                configuration: configuration, logger: logger, database: database, keeper: keeper, executor: executor,
                replication: replication)
        case .failure(let error):
            await executor.shutdown()
            throw error
        }
    }

    /// Rolls back and closes every stream, closes the database (checkpointing the WAL) and stops the threads.
    func shutdown() async {
        await maintenance.stop()
        await capture?.stop()
        let streams = registry.removeAll() + streamPool.drain()
        let database = database
        let keeper = keeper
        let replication = replication
        await executor.runDetached {
            for stream in streams { stream.close() }
            keeper?.close()
            database.close()
            replication?.close()
        }
        await executor.shutdown()
    }
}
