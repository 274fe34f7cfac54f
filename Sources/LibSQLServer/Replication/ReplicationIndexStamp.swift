import Hrana

/// Puts the replication index on the results of a pipeline that may have written, so that a client can
/// wait until a replica has pulled that far.
enum ReplicationIndexStamp {
    static func stamp(_ results: inout [StreamResult], index: UInt64?) {
        guard let index else { return }
        for position in results.indices {
            switch results[position] {
            case .ok(.execute(var result)):
                result.replicationIndex = index
                results[position] = .ok(.execute(result))
            case .ok(.batch(var result)):
                result.replicationIndex = index
                results[position] = .ok(.batch(result))
            default: continue
            }
        }
    }
}
