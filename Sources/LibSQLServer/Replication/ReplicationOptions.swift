/// How the server captures its WAL for embedded replicas (libSQL's sync protocol v2) and when it cuts a
/// generation. See `Docs/Server.md`, "Replication".
public struct ReplicationOptions: Sendable, Hashable {
    /// Whether frames are captured and `/info`, `/export` and `/sync` are served. Off (the default of
    /// ``ServerConfiguration``), the server checkpoints like a plain SQLite server and those paths answer 404.
    public var isEnabled: Bool
    /// A generation is cut once it holds this many frames. libSQL's crate 0.9.10 (`libsql_experimental`)
    /// stops applying frames at 4,120 frames per generation, so keep this well below that.
    public var maxFramesPerGeneration: Int
    /// A generation with frames is cut once it is this old, so that new replicas replay little.
    public var maxGenerationAge: Duration
    /// How often the capture checks the WAL for the thresholds.
    public var pollInterval: Duration
    /// How many generations keep their history, the live one included (`nil`: all). After each cut the oldest
    /// closed generations beyond it are purged: their `/sync` and `/export` answer 410 and a replica still in
    /// one rebuilds itself from the current export.
    public var keepGenerations: Int?
    /// The most bytes the archive of closed generations (their frames and export images) may hold (`nil`: no
    /// limit); the oldest closed generations are purged until it fits. The live generation is always kept.
    /// Defaults to ``defaultMaxArchiveBytes``: under a steady write load the archive grows by every frame
    /// written, so an unbounded one fills the disk, and a replica further behind than the archive rebuilds
    /// itself from the current export.
    public var maxArchiveBytes: Int64?

    /// The default bound of the archive: 256 MiB.
    public static let defaultMaxArchiveBytes: Int64 = 256 << 20

    /// Creates replication options.
    public init(
        isEnabled: Bool = true, maxFramesPerGeneration: Int = 2000, maxGenerationAge: Duration = .seconds(600),
        pollInterval: Duration = .milliseconds(100), keepGenerations: Int? = nil,
        maxArchiveBytes: Int64? = defaultMaxArchiveBytes
    ) {
        self.isEnabled = isEnabled
        self.maxFramesPerGeneration = maxFramesPerGeneration
        self.maxGenerationAge = maxGenerationAge
        self.pollInterval = pollInterval
        self.keepGenerations = keepGenerations.map { max(1, $0) }
        self.maxArchiveBytes = maxArchiveBytes
    }
}
