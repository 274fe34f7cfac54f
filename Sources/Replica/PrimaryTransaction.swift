/// The frames of one primary transaction (or of several consecutive ones applied together), gathered until the
/// commit frame: the last image of every page wins.
struct PrimaryTransaction: Sendable {
    /// Page number → new image.
    var pages: [UInt32: [UInt8]] = [:]
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

    /// Appends the next transaction, as if it were applied right after this one.
    mutating func append(_ next: PrimaryTransaction) {
        pages = pages.filter { $0.key <= next.sizeAfter }
        pages.merge(next.pages) { _, new in new }
        sizeAfter = next.sizeAfter
        commitFrame = next.commitFrame
        commitIdentity = next.commitIdentity
        frameCount += next.frameCount
        transactionCount += next.transactionCount
        minimumSize = min(minimumSize, next.minimumSize)
    }
}

/// Gathers frames as they arrive, possibly across several responses, into complete transactions.
struct TransactionBuffer: Sendable {
    private(set) var current = PrimaryTransaction()

    var isEmpty: Bool { current.frameCount == 0 }
    var frameCount: Int { current.frameCount }

    /// Adds frame number `number`; returns the transaction when `frame` is its commit frame.
    mutating func add(_ frame: WALFrame, number: UInt32) -> PrimaryTransaction? {
        current.pages[frame.pageNumber] = frame.page
        current.frameCount += 1
        guard frame.isCommit else { return nil }
        var complete = current
        complete.sizeAfter = frame.sizeAfter
        complete.commitFrame = number
        complete.commitIdentity = frame.identity
        complete.pages = complete.pages.filter { $0.key <= frame.sizeAfter }
        complete.minimumSize = frame.sizeAfter
        current = PrimaryTransaction()
        return complete
    }

    mutating func discard() {
        current = PrimaryTransaction()
    }
}
