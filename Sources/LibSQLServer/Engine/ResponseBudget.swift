import Hrana

/// Counts the estimated JSON size of a response as it is built (sqld's `max_response_size`).
struct ResponseBudget {
    let limit: Int
    private(set) var used = 0

    init(limit: Int) {
        self.limit = limit
    }

    mutating func add(_ bytes: Int) throws(ExecutionStop) {
        used += bytes
        if used > limit { throw .responseTooLarge }
    }

    static func estimate(_ row: [Value]) -> Int {
        var total = 2
        for value in row { total += estimate(value) }
        return total
    }

    static func estimate(_ value: Value) -> Int {
        switch value {
        case .null: 16
        case .integer: 48
        case .float: 48
        case .text(let text): 32 + text.utf8.count
        case .blob(let data): 32 + (data.count + 2) / 3 * 4
        }
    }

    static func estimate(_ columns: [Column]) -> Int {
        var total = 128
        for column in columns { total += 32 + (column.name?.utf8.count ?? 0) + (column.decltype?.utf8.count ?? 0) }
        return total
    }
}

/// Why a statement stopped without a result.
enum ExecutionStop: Error {
    /// The statement failed: this is its error.
    case failed(ProtocolError)
    /// The response would exceed the configured size.
    case responseTooLarge
    /// The consumer of the results gave up (a cursor whose client went away).
    case aborted(String)
    /// An inline run stopped without changing anything: the statement must run on a worker thread.
    case needsWorker
}
