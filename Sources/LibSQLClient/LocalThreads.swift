import NIOCore
import NIOPosix

/// The threads local SQLite work runs on, so that blocking calls and lock waits (up to the busy timeout) never
/// occupy a thread of the Swift cooperative pool. One pool per process, started on first use; at most
/// ``threadCount`` local SQLite calls run at once, more wait for a thread.
enum LocalThreads {
    static let threadCount = max(16, System.coreCount)

    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        return pool
    }()

    /// Runs `body` on a pool thread and returns its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
