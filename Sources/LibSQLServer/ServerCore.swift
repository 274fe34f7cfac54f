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
    let sessionPool = SessionPool()
    /// How long a query may run inline (see ``ServerConfiguration/inlineQueryLimit``); `nil` when never.
    let inlineQueryLimit: Duration?
    private let maintenance: Maintenance
    /// A connection kept open for the server's lifetime, so that closing the last stream does not make
    /// SQLite checkpoint and delete the WAL on every request.
    private let keeper: StreamSession?

    private init(
        configuration: ServerConfiguration, logger: Logger, database: EngineDatabase, keeper: StreamSession?,
        executor: BlockingExecutor
    ) {
        self.keeper = keeper
        self.configuration = configuration
        self.logger = logger
        self.database = database
        self.executor = executor
        inlineQueryLimit = configuration.inlineQueryLimit > .zero ? configuration.inlineQueryLimit : nil
        registry = StreamRegistry(
            idleTimeout: configuration.streamIdleTimeout, retention: configuration.expiredStreamRetention)
        authenticator = Authenticator(token: configuration.authToken, keys: configuration.jwtPublicKeys)
        maintenance = Maintenance()
        maintenance.start(database: database, registry: registry, logger: logger)
    }

    /// Opens the database and starts the worker threads.
    static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> ServerCore {
        var engineConfiguration = EngineConfiguration(databasePath: configuration.databasePath)
        engineConfiguration.busyTimeout = configuration.busyTimeout
        engineConfiguration.transactionTimeout = configuration.transactionTimeout
        engineConfiguration.maxResponseSize = configuration.maxResponseSize
        engineConfiguration.maxValueSize = configuration.maxValueSize
        let executor = BlockingExecutor(threads: configuration.workerThreads)
        let finalConfiguration = engineConfiguration
        let opened: Result<(EngineDatabase, StreamSession?), any Error> = try await executor.run {
            Result {
                let database = try EngineDatabase(configuration: finalConfiguration, logger: logger)
                return (database, try? database.openSession())
            }
        }
        switch opened {
        case .success(let (database, keeper)):
            return ServerCore(
                configuration: configuration, logger: logger, database: database, keeper: keeper, executor: executor)
        case .failure(let error):
            await executor.shutdown()
            throw error
        }
    }

    /// Rolls back and closes every stream, closes the database (checkpointing the WAL) and stops the threads.
    func shutdown() async {
        await maintenance.stop()
        let sessions = registry.removeAll() + sessionPool.drain()
        let database = database
        let keeper = keeper
        await executor.runDetached {
            for session in sessions { session.close() }
            keeper?.close()
            database.close()
        }
        await executor.shutdown()
    }
}
