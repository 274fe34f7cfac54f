/// Where the new image of a page of a buffered transaction is.
enum PageImage: Sendable {
    case memory([UInt8])
    /// At this offset of the sync's ``FrameSpool``.
    case spooled(Int64)
}

/// The frames of one primary transaction (or of several consecutive ones applied together), gathered until the
/// commit frame: the last image of every page wins.
struct PrimaryTransaction: Sendable {
    /// Page number → new image.
    var pages: [UInt32: PageImage] = [:]
    /// Where ``PageImage/spooled(_:)`` images are.
    var spool: FrameSpool?
    /// The database size in pages after the transaction (from the commit frame).
    var sizeAfter: UInt32 = 0
    /// The frame number of the commit frame.
    var commitFrame: UInt32 = 0
    /// ``WALFrame/identity`` of the commit frame.
    var commitIdentity: UInt32?
    /// How many frames it took.
    var frameCount = 0
    /// How many primary transactions it holds.
    var transactionCount = 1
    /// The smallest size any of them left the database at: pages above it that no later transaction wrote read
    /// as zeros afterwards (the file was truncated, then grew again).
    var minimumSize: UInt32 = 0

    /// The new image of `page`, read back from the spool if it is there.
    func image(_ image: PageImage) throws(ReplicaError) -> [UInt8] {
        switch image {
        case .memory(let bytes):
            return bytes
        case .spooled(let offset):
            guard let spool else { throw ReplicaError(.localFileError, "A spooled page has no spool") }
            return try spool.read(at: offset)
        }
    }

    /// Appends the next transaction, as if it were applied right after this one.
    mutating func append(_ next: PrimaryTransaction) {
        pages = pages.filter { $0.key <= next.sizeAfter }
        pages.merge(next.pages) { _, new in new }
        spool = spool ?? next.spool
        sizeAfter = next.sizeAfter
        commitFrame = next.commitFrame
        commitIdentity = next.commitIdentity
        frameCount += next.frameCount
        transactionCount += next.transactionCount
        minimumSize = min(minimumSize, next.minimumSize)
    }
}

/// Gathers frames as they arrive, possibly across several responses, into complete transactions. A transaction
/// that outgrows ``memoryPages`` moves its page images to the spool, so that memory stays bounded whatever its
/// size: a few dozen bytes per page for the index, never the pages.
struct TransactionBuffer: Sendable {
    /// Distinct pages a transaction keeps in memory before it moves to the spool (1 MiB).
    static let memoryPages = 256

    let spool: FrameSpool?
    private(set) var current = PrimaryTransaction()
    /// Whether the current transaction's images are in the spool.
    private(set) var spilled = false

    init(spool: FrameSpool? = nil) {
        self.spool = spool
    }

    var isEmpty: Bool { current.frameCount == 0 }
    var frameCount: Int { current.frameCount }

    /// Adds frame number `number`; returns the transaction when `frame` is its commit frame.
    mutating func add(_ frame: WALFrame, number: UInt32) throws(ReplicaError) -> PrimaryTransaction? {
        if let spool, !spilled, current.pages.count >= Self.memoryPages, current.pages[frame.pageNumber] == nil {
            for (page, image) in current.pages { current.pages[page] = .spooled(try spool.append(try current.image(image))) }
            current.spool = spool
            spilled = true
            CrashInjection.reached("spool")
        }
        current.pages[frame.pageNumber] = spilled ? .spooled(try spool!.append(frame.page)) : .memory(frame.page)
        current.frameCount += 1
        guard frame.isCommit else { return nil }
        var complete = current
        complete.sizeAfter = frame.sizeAfter
        complete.commitFrame = number
        complete.commitIdentity = frame.identity
        complete.pages = complete.pages.filter { $0.key <= frame.sizeAfter }
        complete.minimumSize = frame.sizeAfter
        current = PrimaryTransaction()
        spilled = false
        return complete
    }

    mutating func discard() {
        current = PrimaryTransaction()
        spilled = false
    }
}
