/// The byte layout of a SQLite write-ahead log (SQLite's `fileformat2` §4): a 32-byte header, then frames
/// of a 24-byte header and one page. Every field is big-endian.
enum WALFormat {
    static let headerSize = 32
    static let frameHeaderSize = 24
    /// The only page size libSQL's sync protocol carries (clients hard-code 4096 + 24).
    static let pageSize = 4096
    static let frameSize = frameHeaderSize + pageSize
    /// The magic of a log whose checksums sum little-endian words (what x86 and ARM write).
    static let magicLittleEndian: UInt32 = 0x377f_0682
    /// The magic of a log whose checksums sum big-endian words.
    static let magicBigEndian: UInt32 = 0x377f_0683
    static let formatVersion: UInt32 = 3_007_000

    /// The byte offset of frame `index` (1-based).
    static func offset(ofFrame index: Int) -> Int { headerSize + (index - 1) * frameSize }

    static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    static func writeUInt32(_ value: UInt32, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 24)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}

/// The running checksum of a WAL: two 32-bit sums over pairs of words, carried from the header through
/// every frame (`s0 += x0 + s1; s1 += x1 + s0`).
struct WALChecksum: Sendable, Hashable {
    var s0: UInt32 = 0
    var s1: UInt32 = 0
    /// Whether words are read big-endian (magic `0x377f0683`) rather than little-endian.
    var bigEndianWords: Bool

    init(bigEndianWords: Bool, s0: UInt32 = 0, s1: UInt32 = 0) {
        self.bigEndianWords = bigEndianWords
        self.s0 = s0
        self.s1 = s1
    }

    /// Adds `bytes` (a multiple of 8 long) to the sums.
    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % 8 == 0)
        var a = s0
        var b = s1
        var offset = 0
        if bigEndianWords {
            while offset < bytes.count {
                a = a &+ WALFormat.readUInt32(bytes, at: offset) &+ b
                b = b &+ WALFormat.readUInt32(bytes, at: offset + 4) &+ a
                offset += 8
            }
        } else {
            while offset < bytes.count {
                let x0 = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                    | UInt32(bytes[offset + 3]) << 24
                let x1 = UInt32(bytes[offset + 4]) | UInt32(bytes[offset + 5]) << 8
                    | UInt32(bytes[offset + 6]) << 16 | UInt32(bytes[offset + 7]) << 24
                a = a &+ x0 &+ b
                b = b &+ x1 &+ a
                offset += 8
            }
        }
        s0 = a
        s1 = b
    }
}

/// A parsed and checksum-verified WAL header.
struct WALHeader: Sendable, Hashable {
    var bigEndianWords: Bool
    var pageSize: Int
    var checkpointSequence: UInt32
    var salt1: UInt32
    var salt2: UInt32
    /// The checksum over the header's first 24 bytes: where the frames' chain starts.
    var checksum: WALChecksum

    /// Parses the first 32 bytes of a log; `nil` when the magic, version or checksum is wrong (a log
    /// that was never written, or was being rewritten).
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= WALFormat.headerSize else { return nil }
        let magic = WALFormat.readUInt32(bytes, at: 0)
        guard magic == WALFormat.magicLittleEndian || magic == WALFormat.magicBigEndian,
              WALFormat.readUInt32(bytes, at: 4) == WALFormat.formatVersion
        else { return nil }
        bigEndianWords = magic == WALFormat.magicBigEndian
        pageSize = Int(WALFormat.readUInt32(bytes, at: 8))
        checkpointSequence = WALFormat.readUInt32(bytes, at: 12)
        salt1 = WALFormat.readUInt32(bytes, at: 16)
        salt2 = WALFormat.readUInt32(bytes, at: 20)
        var sum = WALChecksum(bigEndianWords: bigEndianWords)
        sum.add(UnsafeRawBufferPointer(rebasing: bytes[0..<24]))
        guard sum.s0 == WALFormat.readUInt32(bytes, at: 24), sum.s1 == WALFormat.readUInt32(bytes, at: 28) else {
            return nil
        }
        checksum = sum
    }

    /// Whether two headers belong to the same log epoch (SQLite rewrites the salts on every restart).
    func sameEpoch(as other: WALHeader) -> Bool { salt1 == other.salt1 && salt2 == other.salt2 }
}
