import Foundation

/// One frame of the sync protocol: a SQLite WAL frame header (24 bytes, big-endian) and a 4096-byte page.
struct WALFrame: Sendable {
    static let headerSize = 24
    static let pageSize = 4096
    static let size = headerSize + pageSize

    /// The page number (1-based).
    let pageNumber: UInt32
    /// The database size in pages after the transaction, on its commit frame; `0` on other frames.
    let sizeAfter: UInt32
    /// The page image.
    let page: [UInt8]
    /// On a commit frame, the CRC-32 of the whole frame (header and page): it names the primary's history at this
    /// frame, since the header carries the WAL's salts and cumulative checksum. `nil` on other frames.
    let identity: UInt32?

    var isCommit: Bool { sizeAfter != 0 }

    /// Splits a `/sync` response body into frames, checking the length and each header.
    static func parse(_ body: Data) throws(ReplicaError) -> [WALFrame] {
        guard !body.isEmpty, body.count % size == 0 else {
            throw ReplicaError(
                .protocolViolation, "A /sync response of \(body.count) bytes is not a whole number of \(size)-byte frames")
        }
        var frames: [WALFrame] = []
        frames.reserveCapacity(body.count / size)
        let bytes = [UInt8](body)
        var offset = 0
        while offset < bytes.count {
            let pageNumber = bigEndianUInt32(bytes, at: offset)
            let sizeAfter = bigEndianUInt32(bytes, at: offset + 4)
            guard pageNumber >= 1 else {
                throw ReplicaError(.protocolViolation, "A frame names page 0")
            }
            guard sizeAfter == 0 || pageNumber <= sizeAfter else {
                throw ReplicaError(
                    .protocolViolation, "A commit frame writes page \(pageNumber) beyond the database size \(sizeAfter)")
            }
            frames.append(WALFrame(
                pageNumber: pageNumber, sizeAfter: sizeAfter,
                page: Array(bytes[(offset + headerSize)..<(offset + size)]),
                identity: sizeAfter == 0 ? nil : CRC32.checksum(bytes[offset..<(offset + size)])))
            offset += size
        }
        return frames
    }
}

func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

func putBigEndian(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
    bytes[offset] = UInt8(truncatingIfNeeded: value >> 24)
    bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
    bytes[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
    bytes[offset + 3] = UInt8(truncatingIfNeeded: value)
}
