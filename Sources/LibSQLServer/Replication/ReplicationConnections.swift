import CSQLite
import SQLiteCore

extension SQLiteConnection {
    /// Stops this connection from ever checkpointing on its own (`wal_autocheckpoint=0`, no checkpoint
    /// when it closes), so that only the replication log moves frames out of the WAL.
    func keepWAL() throws(SQLiteError) {
        try execute(script: "PRAGMA wal_autocheckpoint=0")
        let result = csqlite_db_config_flag(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1)
        guard result == SQLITE_OK else { throw SQLiteError(extendedCode: result, message: "SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE failed") }
    }

    /// Opens a connection for the replication log's own use.
    static func forReplication(path: String) throws -> SQLiteConnection {
        do {
            let connection = try SQLiteConnection(path: path)
            connection.setBusyTimeout(.seconds(2))
            try connection.keepWAL()
            // A first read opens the WAL; until then a checkpoint does nothing.
            try connection.execute(script: "SELECT count(*) FROM sqlite_schema")
            return connection
        } catch {
            throw ReplicationError.sqlite("cannot open \(path): \(error)")
        }
    }

    /// `sqlite3_wal_checkpoint_v2`: the result code, the frames in the log and the frames checkpointed.
    func checkpointCounts(mode: Int32) -> (result: Int32, log: Int, checkpointed: Int) {
        var log: Int32 = 0
        var checkpointed: Int32 = 0
        let result = sqlite3_wal_checkpoint_v2(handle, nil, mode, &log, &checkpointed)
        return (result, Int(log), Int(checkpointed))
    }

    func run(_ sql: String) throws {
        do { try execute(script: sql) } catch { throw ReplicationError.sqlite("\(sql): \(error)") }
    }
}
