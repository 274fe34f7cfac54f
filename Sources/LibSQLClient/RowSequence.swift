import Foundation
import Hrana

/// The rows of ``Database/query(_:)``, fetched as you iterate.
public struct RowSequence: AsyncSequence, Sendable {
    public typealias Element = Row
    let open: @Sendable () async throws -> any RowSource

    public struct AsyncIterator: AsyncIteratorProtocol {
        let open: @Sendable () async throws -> any RowSource
        var source: (any RowSource)?

        public mutating func next() async throws -> Row? {
            if source == nil { source = try await open() }
            do {
                try Task.checkCancellation()
                return try await source!.next()
            } catch {
                await source?.cancel()
                throw error
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(open: open) }
}
