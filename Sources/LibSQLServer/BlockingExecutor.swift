import NIOPosix

/// Runs blocking SQLite work on a dedicated thread pool, never on the cooperative pool or event loops.
struct BlockingExecutor: Sendable {
    let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(threads, 2))
        pool.start()
    }

    /// Runs `body` on a pool thread. Throws only if the pool is shut down or the task was cancelled
    /// before the work started.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs `body` on a pool thread, ignoring whether it could run.
    func runDetached(_ body: @escaping @Sendable () -> Void) async {
        _ = try? await pool.runIfActive(body)
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
