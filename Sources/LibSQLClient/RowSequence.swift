import Foundation
import Hrana

/// The rows of ``Database/query(_:)``, fetched as you iterate. Iteration throws only ``LibSQLError``: a cancelled
/// task's with ``Hrana/ErrorCode/cancelled``, after ``Database/close()`` with ``Hrana/ErrorCode/clientClosed``.
public struct RowSequence: AsyncSequence, Sendable {
    public typealias Element = Row
    let open: @Sendable () async throws -> any RowSource

    public struct AsyncIterator: AsyncIteratorProtocol {
        let open: @Sendable () async throws -> any RowSource
        var source: (any RowSource)?

        public mutating func next() async throws -> Row? {
            do {
                if Task.isCancelled { throw LibSQLError.cancelled }
                if source == nil { source = try await open() }
                return try await source!.next()
            } catch {
                await source?.cancel()
                throw LibSQLError.mapped(error)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(open: open) }
}
