import Foundation

/// What one ``EmbeddedReplica/sync()`` did.
public struct SyncResult: Sendable, Hashable {
    /// Frames applied to the replica (every frame of every complete primary transaction pulled).
    public var framesApplied: Int
    /// Primary transactions applied.
    public var transactionsApplied: Int
    /// The primary generation the replica is now in.
    public var generation: UInt32
    /// The last frame of ``generation`` the replica has applied (0 right after a generation starts).
    public var frame: UInt32
    /// Response bytes pulled from the server (frames and exports).
    public var bytesPulled: Int64
    /// Whether the replica file was rebuilt from an export (the primary's history was reset, or the file had been
    /// changed behind the replica's back).
    public var rebuilt: Bool
    /// How long the sync took.
    public var duration: Duration
    /// When it finished.
    public var finishedAt: Date

    /// How many frames the replica was behind the primary when the sync started: the frames it applied.
    public var lagFrames: Int { framesApplied }
}
