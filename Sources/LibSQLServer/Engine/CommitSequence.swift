import Synchronization

/// Numbers the commits of the database's stream connections in the order their WAL hooks ran, and counts
/// the replication log's generation cuts, so that the replication log can tell whether a commit is in the
/// live generation and whether its last scan of the WAL already covers it.
final class CommitSequence: Sendable {
    private let last = Atomic<UInt64>(0)
    private let cuts = Atomic<UInt64>(0)

    /// Counts a commit whose frames are in the WAL; returns its number (from 1).
    func next() -> UInt64 {
        last.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
    }

    /// The number of the last commit counted (0 before any).
    var current: UInt64 { last.load(ordering: .sequentiallyConsistent) }

    /// Counts a generation cut; call it while holding the write lock. Returns the new count.
    func advanceCuts() -> UInt64 {
        cuts.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
    }

    /// How many cuts have happened; read under a writer's write lock, it names the generation of its commit.
    var cutCount: UInt64 { cuts.load(ordering: .sequentiallyConsistent) }
}

/// Where a stream's last commit landed, for the replication index of its response.
struct CommitMark: Sendable, Equatable {
    /// The commit's number in ``CommitSequence`` (0: none yet).
    var number: UInt64 = 0
    /// ``CommitSequence/cutCount`` as the commit was made (under its write lock).
    var cuts: UInt64 = 0
    /// The WAL's frame count right after the commit.
    var walFrames: Int = 0
}
