/// SQLite's rollback-journal format (a "hot journal"): what the replica writes before it changes a page, so that
/// SQLite itself restores the old state if the process dies in the middle of an apply.
///
/// Layout (big-endian): an 8-byte magic, the record count, a random checksum nonce, the original database size in
/// pages, the sector size and the page size, padded to the sector size; then one record per page:
/// page number, the page's old image, and a checksum (the nonce plus every 200th byte counted from the end).
enum RollbackJournal {
    static let magic: [UInt8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]
    static let sectorSize = 512

    /// The bytes one record takes.
    static func recordSize(pageSize: Int) -> Int { pageSize + 8 }

    /// The header sector of a journal of `recordCount` records for a database of `originalPageCount` pages.
    static func header(recordCount: Int, originalPageCount: UInt32, pageSize: Int, nonce: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: sectorSize)
        bytes.replaceSubrange(0..<8, with: magic)
        putBigEndian(UInt32(recordCount), into: &bytes, at: 8)
        putBigEndian(nonce, into: &bytes, at: 12)
        putBigEndian(originalPageCount, into: &bytes, at: 16)
        putBigEndian(UInt32(sectorSize), into: &bytes, at: 20)
        putBigEndian(UInt32(pageSize), into: &bytes, at: 24)
        return bytes
    }

    /// Appends the record of `page`'s old `image` to `bytes`.
    static func appendRecord(page: UInt32, image: [UInt8], nonce: UInt32, to bytes: inout [UInt8]) {
        var word = [UInt8](repeating: 0, count: 4)
        putBigEndian(page, into: &word, at: 0)
        bytes.append(contentsOf: word)
        bytes.append(contentsOf: image)
        putBigEndian(checksum(image, nonce: nonce), into: &word, at: 0)
        bytes.append(contentsOf: word)
    }

    /// The record checksum SQLite verifies on rollback.
    static func checksum(_ page: [UInt8], nonce: UInt32) -> UInt32 {
        var sum = nonce
        var index = page.count - 200
        while index > 0 {
            sum &+= UInt32(page[index])
            index -= 200
        }
        return sum
    }
}
