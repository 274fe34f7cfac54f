import Hrana
/// The stored-SQL table of one stream: SQL seen twice is stored with `store_sql` and run by id once the server
/// confirmed the store.
///
/// The request that stores a text still carries the text itself: a server that refuses a `store_sql` (too many
/// or too long texts) fails the whole pipeline when a later request names the unknown id, which would lose the
/// stream and its transaction. A refused store is forgotten and turns storing off for the stream.
///
/// At most ``capacity`` texts are stored (least recently used goes first, with `close_sql`); texts of
/// ``maxLength`` bytes or more are never stored, as in libsql-client-ts.
struct SQLCache {
    static let capacity = 30
    static let maxLength = 5000

    private var ids: [String: Int32] = [:]
    private var lastUse: [String: UInt64] = [:]
    private var seen: Set<String> = []
    private var freeIDs: [Int32] = []
    private var nextID: Int32 = 0
    private var clock: UInt64 = 0
    /// Ids sent with `store_sql` whose result has not arrived yet.
    private var pending: Set<Int32> = []
    /// Whether SQL is stored at all; off after the server refused a `store_sql`.
    private(set) var isEnabled = true
    /// Where new ids come from when they must be unique beyond the stream (over WebSocket stored SQL belongs to
    /// the connection); `nil` numbers them from 0.
    ///
    /// With such ids a full table stores nothing more instead of evicting: `close_sql` is a connection request
    /// that a server may run before an earlier request of the stream that still names the id.
    private let allocateID: (@Sendable () -> Int32)?

    init(allocateID: (@Sendable () -> Int32)? = nil) {
        self.allocateID = allocateID
    }

    /// Every id this table took, stored or free.
    var allIDs: [Int32] { Array(ids.values) + freeIDs }

    /// Rewrites a statement to use stored SQL when worthwhile; returns the requests to send before it.
    mutating func prepare(_ stmt: inout Stmt, pinned: inout Set<String>) -> [StreamRequest] {
        guard let sql = stmt.sql, sql.utf8.count < Self.maxLength else { return [] }
        clock += 1
        if let id = ids[sql] {
            lastUse[sql] = clock
            pinned.insert(sql)
            if !pending.contains(id) {
                stmt.sql = nil
                stmt.sqlID = id
            }
            return []
        }
        guard seen.contains(sql) else {
            if seen.count > 4 * Self.capacity { seen.removeAll() }
            seen.insert(sql)
            return []
        }
        var requests: [StreamRequest] = []
        if ids.count >= Self.capacity, allocateID == nil,
           let victim = lastUse.filter({ !pinned.contains($0.key) }).min(by: { $0.value < $1.value })?.key,
           let victimID = ids.removeValue(forKey: victim) {
            lastUse[victim] = nil
            freeIDs.append(victimID)
            requests.append(.closeSQL(id: victimID))
        }
        guard ids.count < Self.capacity else { return requests }
        let id = freeIDs.popLast() ?? allocateID?() ?? { defer { nextID += 1 }; return nextID }()
        ids[sql] = id
        lastUse[sql] = clock
        pinned.insert(sql)
        pending.insert(id)
        requests.append(.storeSQL(id: id, sql: sql))
        return requests
    }

    /// Rewrites the statements of an `execute` or `batch` request with ``prepare(_:pinned:)``; returns the
    /// requests to send before it.
    mutating func prepare(_ request: inout StreamRequest, pinned: inout Set<String>) -> [StreamRequest] {
        switch request {
        case .execute(var stmt):
            let extra = prepare(&stmt, pinned: &pinned)
            request = .execute(stmt)
            return extra
        case .batch(var batch):
            var extra: [StreamRequest] = []
            for index in batch.steps.indices {
                extra += prepare(&batch.steps[index].stmt, pinned: &pinned)
            }
            request = .batch(batch)
            return extra
        default:
            return []
        }
    }

    /// Records the server's answer to a `store_sql`.
    mutating func stored(id: Int32) {
        pending.remove(id)
    }

    /// Forgets a text whose `store_sql` failed and stops storing SQL on this stream (the server refuses it).
    mutating func storeFailed(id: Int32) {
        pending.remove(id)
        freeIDs.append(id)
        if let sql = ids.first(where: { $0.value == id })?.key {
            ids[sql] = nil
            lastUse[sql] = nil
        }
        isEnabled = false
    }

    /// Forgets everything (the stream is gone).
    mutating func reset() {
        self = SQLCache(allocateID: allocateID)
    }
}
