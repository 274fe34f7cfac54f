import Synchronization

/// Numbers the commits of the database's stream connections in the order their WAL hooks ran, so that
/// the replication log can tell whether its last scan of the WAL already covers a given commit.
final class CommitSequence: Sendable {
    private let last = Atomic<UInt64>(0)

    /// Counts a commit whose frames are in the WAL; returns its number (from 1).
    func next() -> UInt64 {
        last.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
    }

    /// The number of the last commit counted (0 before any).
    var current: UInt64 { last.load(ordering: .sequentiallyConsistent) }
}
