/// The frames of one primary transaction, gathered until its commit frame: the last image of every page wins.
struct PrimaryTransaction: Sendable {
    /// Page number → new image.
    var pages: [UInt32: [UInt8]] = [:]
    /// The database size in pages after the transaction (from the commit frame).
    var sizeAfter: UInt32 = 0
    /// The frame number of the commit frame.
    var commitFrame: UInt32 = 0
    /// How many frames it took.
    var frameCount = 0
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
        complete.pages = complete.pages.filter { $0.key <= frame.sizeAfter }
        current = PrimaryTransaction()
        return complete
    }

    mutating func discard() {
        current = PrimaryTransaction()
    }
}
