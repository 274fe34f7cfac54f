import Hrana
/// The stored-SQL table of one stream: SQL seen twice is stored with `store_sql` and then run by id.
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

    /// Rewrites a statement to use stored SQL when worthwhile; returns the requests to send before it.
    mutating func prepare(_ stmt: inout Stmt, pinned: inout Set<String>) -> [StreamRequest] {
        guard let sql = stmt.sql, sql.utf8.count < Self.maxLength else { return [] }
        clock += 1
        if let id = ids[sql] {
            lastUse[sql] = clock
            pinned.insert(sql)
            stmt.sql = nil
            stmt.sqlID = id
            return []
        }
        guard seen.contains(sql) else {
            if seen.count > 4 * Self.capacity { seen.removeAll() }
            seen.insert(sql)
            return []
        }
        var requests: [StreamRequest] = []
        if ids.count >= Self.capacity,
           let victim = lastUse.filter({ !pinned.contains($0.key) }).min(by: { $0.value < $1.value })?.key,
           let victimID = ids.removeValue(forKey: victim) {
            lastUse[victim] = nil
            freeIDs.append(victimID)
            requests.append(.closeSQL(id: victimID))
        }
        guard ids.count < Self.capacity else { return requests }
        let id = freeIDs.popLast() ?? { defer { nextID += 1 }; return nextID }()
        ids[sql] = id
        lastUse[sql] = clock
        pinned.insert(sql)
        requests.append(.storeSQL(id: id, sql: sql))
        stmt.sql = nil
        stmt.sqlID = id
        return requests
    }

    /// Forgets everything (the stream is gone).
    mutating func reset() {
        self = SQLCache()
    }
}
