import Foundation
import LibSQLClient

extension Query {
    /// Every matching record, fetched in keyset batches of `batchSize` ordered by primary key
    /// (`WHERE id > last ORDER BY id LIMIT n`), so memory stays bounded and rows inserted meanwhile are not skipped
    /// or repeated. The query's own order and limit are ignored, as Rails' `find_each` does.
    ///
    /// ```swift
    /// for try await user in User.where(["active": true]).findEach(batchSize: 500) { … }
    /// ```
    public func findEach(batchSize: Int = 1000) -> RecordBatches<Record> {
        RecordBatches(query: self, batchSize: max(1, batchSize))
    }
}

extension Model {
    /// Every record in keyset batches by primary key.
    public static func findEach(batchSize: Int = 1000, on connection: RecordConnection? = nil) -> RecordBatches<Self> {
        query(on: connection).findEach(batchSize: batchSize)
    }
}

/// The records of a query, one keyset batch at a time: an `AsyncSequence` made by ``Query/findEach(batchSize:)``.
public struct RecordBatches<Record: Model>: AsyncSequence, Sendable {
    public typealias Element = Record
    let query: Query<Record>
    let batchSize: Int

    public func makeAsyncIterator() -> Iterator { Iterator(query: query, batchSize: batchSize) }

    /// Fetches the next batch when the current one is used up.
    public struct Iterator: AsyncIteratorProtocol {
        let query: Query<Record>
        let batchSize: Int
        var buffer: [Record] = []
        var position = 0
        var lastKey: SQLValue?
        var finished = false

        public mutating func next() async throws -> Record? {
            if position == buffer.count {
                guard !finished else { return nil }
                var page = query.reorder(Ordering.parse(Record.primaryKey))
                page.limitCount = batchSize
                page.offsetCount = nil
                if let lastKey { page = page.where(Column(Record.primaryKey) > lastKey) }
                buffer = try await page.all()
                position = 0
                if buffer.count < batchSize { finished = true }
                guard let last = buffer.last else { return nil }
                lastKey = try last.primaryKeyValue()
            }
            defer { position += 1 }
            return buffer[position]
        }
    }
}
