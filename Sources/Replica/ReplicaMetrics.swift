import Foundation
import Metrics

/// The replica's swift-metrics instruments, each with the dimension `replica` = the database path.
struct ReplicaMetrics: Sendable {
    /// Unix time of the last successful sync, in seconds.
    let lastSync: Gauge
    /// Frames the replica was behind when its last successful sync started.
    let lagFrames: Gauge
    /// Bytes pulled from the server (frames and exports).
    let bytesPulled: Counter
    /// Frames applied.
    let framesApplied: Counter
    /// Syncs that failed.
    let failures: Counter
    /// Duration of successful syncs.
    let duration: Metrics.Timer

    init(path: String) {
        let dimensions = [("replica", path)]
        lastSync = Gauge(label: "libsql_replica_last_sync_timestamp_seconds", dimensions: dimensions)
        lagFrames = Gauge(label: "libsql_replica_lag_frames", dimensions: dimensions)
        bytesPulled = Counter(label: "libsql_replica_pulled_bytes_total", dimensions: dimensions)
        framesApplied = Counter(label: "libsql_replica_applied_frames_total", dimensions: dimensions)
        failures = Counter(label: "libsql_replica_sync_failures_total", dimensions: dimensions)
        duration = Metrics.Timer(label: "libsql_replica_sync_duration_seconds", dimensions: dimensions)
    }

    func record(_ result: SyncResult) {
        lastSync.record(result.finishedAt.timeIntervalSince1970)
        lagFrames.record(result.lagFrames)
        framesApplied.increment(by: result.framesApplied)
        duration.record(duration: result.duration)
    }
}
