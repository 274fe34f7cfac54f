import Hrana
import NIOConcurrencyHelpers

/// Idle streams kept open for reuse by the next new stream, so that the common one-request stream
/// (`[execute, close]` without a baton) does not open and close a SQLite connection every time.
///
/// Only streams that cannot carry state to the next stream are recycled: the stream lived for one request,
/// ended in autocommit mode with no stored SQL, and its SQL never mentions `PRAGMA`, `ATTACH`, `DETACH` or
/// `TEMP` (connection settings, attached databases and temporary objects stay with a connection).
///
/// A connection also keeps counters that no API resets: `last_insert_rowid()`, `changes()` and
/// `total_changes()`. A fresh sqld connection reports 0 for them, so a pooled connection only serves a new
/// stream that cannot read them (see ``mayServe(_:)``).
final class StreamPool: Sendable {
    private let idle = NIOLockedValueBox<[HranaStream]>([])
    private let capacity: Int

    init(capacity: Int = 16) {
        self.capacity = capacity
    }

    func take() -> HranaStream? {
        idle.withLockedValue { $0.popLast() }
    }

    /// Keeps the stream for reuse; returns it when the pool is full (the caller closes it on a worker thread).
    func put(_ stream: HranaStream) -> HranaStream? {
        idle.withLockedValue { idle in
            guard idle.count < capacity else { return stream }
            idle.append(stream)
            return nil
        }
    }

    /// Empties the pool; returns the streams to close.
    func drain() -> [HranaStream] {
        idle.withLockedValue { idle in
            defer { idle.removeAll() }
            return idle
        }
    }

    /// Whether a one-request stream running `requests` may hand its connection to the next stream.
    static func isRecyclable(_ requests: [StreamRequest]) -> Bool {
        for request in requests {
            switch request {
            case .close, .getAutocommit: continue
            case .storeSQL, .closeSQL: return false
            case .execute(let stmt): if !isHarmless(stmt) { return false }
            case .batch(let batch): if !batch.steps.allSatisfy({ isHarmless($0.stmt) }) { return false }
            case .sequence(let sql, _), .describe(let sql, _): if !isHarmless(sql) { return false }
            }
        }
        return true
    }

    /// Whether a new stream running `requests` may start on a pooled connection: the stream ends in this
    /// request (it has a `close`), and none of its SQL mentions the connection's counters.
    static func mayServe(_ requests: [StreamRequest]) -> Bool {
        var closes = false
        for request in requests {
            let texts: [String?]
            switch request {
            case .close: closes = true; continue
            case .getAutocommit, .closeSQL: continue
            case .storeSQL(_, let sql): texts = [sql]
            case .execute(let stmt): texts = [stmt.sql]
            case .batch(let batch): texts = batch.steps.map(\.stmt.sql)
            case .sequence(let sql, _), .describe(let sql, _): texts = [sql]
            }
            for case let sql? in texts where mentions(sql, any: counterWords) { return false }
        }
        return closes
    }

    private static func isHarmless(_ stmt: Stmt) -> Bool { stmt.sqlID == nil && isHarmless(stmt.sql) }

    private static func isHarmless(_ sql: String?) -> Bool {
        guard let sql else { return false }
        return !mentions(sql, any: forbidden)
    }

    /// Whether `sql` contains one of `words` (upper-case ASCII), ignoring case; also inside comments and literals.
    private static func mentions(_ sql: String, any words: [[UInt8]]) -> Bool {
        var upper: [UInt8] = []
        upper.reserveCapacity(sql.utf8.count)
        for byte in sql.utf8 { upper.append(byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte) }
        return words.contains { contains(upper, $0) }
    }

    private static let forbidden: [[UInt8]] = ["PRAGMA", "ATTACH", "DETACH", "TEMP"].map { Array($0.utf8) }
    /// `changes()` and `total_changes()`, and `last_insert_rowid()`.
    private static let counterWords: [[UInt8]] = ["CHANGES", "LAST_INSERT_ROWID"].map { Array($0.utf8) }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
