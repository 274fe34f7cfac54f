/// How far a WAL is valid and committed: the result of checking its salts and checksum chain.
struct WALScan: Sendable, Hashable {
    var header: WALHeader
    /// The number of frames up to and including the last commit frame.
    var committedFrames = 0
    /// The running checksum after the last commit frame, where the next scan resumes.
    var committedChecksum: WALChecksum
    /// The database size in pages after the last commit (0 while nothing is committed).
    var pageCount: UInt32 = 0
    /// Valid frames after the last commit: an open or rolled-back transaction; never served.
    var pendingFrames = 0
}

/// Reads a WAL and finds its committed prefix: frames are valid while their salts equal the header's and
/// the cumulative checksum matches; only frames up to the last valid commit frame count.
enum WALScanner {
    /// Frames read per `pread`, at most.
    static let chunkFrames = 64
    /// Frames read by the first `pread` of a scan.
    static let firstChunkFrames = 2

    /// Scans `file`, resuming after `previous` when the header still belongs to the same epoch. Returns
    /// `nil` when the log has no valid header (empty, truncated, or being rewritten).
    static func scan(_ file: ReplicationFile, resuming previous: WALScan?) throws -> WALScan? {
        let headerBytes = try file.read(at: 0, count: WALFormat.headerSize)
        guard let header = headerBytes.withUnsafeBytes({ WALHeader($0) }) else { return nil }
        guard header.pageSize == WALFormat.pageSize else {
            throw ReplicationError.unsupported("the page size is \(header.pageSize); libSQL's sync protocol carries 4096-byte pages only")
        }
        var scan = WALScan(header: header, committedChecksum: header.checksum)
        if let previous, previous.header == header { scan = previous }
        scan.pendingFrames = 0
        let size = try file.size()
        var running = scan.committedChecksum
        var index = scan.committedFrames + 1
        let unread = max(0, (size - WALFormat.offset(ofFrame: index)) / WALFormat.frameSize)
        guard unread > 0 else { return scan }
        // Left uninitialized, and read in growing chunks: a scan usually follows a commit of a frame or two,
        // and after a WAL restart the file still holds the old epoch's frames past the new ones.
        let raw = UnsafeMutableRawBufferPointer.allocate(
            byteCount: min(chunkFrames, unread) * WALFormat.frameSize, alignment: 8)
        defer { raw.deallocate() }
        var chunk = firstChunkFrames
        while WALFormat.offset(ofFrame: index) + WALFormat.frameSize <= size {
            let available = (size - WALFormat.offset(ofFrame: index)) / WALFormat.frameSize
            let wanted = min(chunk, available, raw.count / WALFormat.frameSize)
            chunk = min(chunk * 4, chunkFrames)
            let valid = try { () throws -> Bool in
                let target = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(wanted * WALFormat.frameSize)])
                let read = try file.read(at: WALFormat.offset(ofFrame: index), into: target)
                let frames = read / WALFormat.frameSize
                for frame in 0..<frames {
                    let bytes = UnsafeRawBufferPointer(
                        rebasing: target[(frame * WALFormat.frameSize)..<((frame + 1) * WALFormat.frameSize)])
                    guard validate(bytes, header: header, checksum: &running) else { return false }
                    let commitSize = WALFormat.readUInt32(bytes, at: 4)
                    if commitSize != 0 {
                        scan.committedFrames = index
                        scan.committedChecksum = running
                        scan.pageCount = commitSize
                        scan.pendingFrames = 0
                    } else {
                        scan.pendingFrames += 1
                    }
                    index += 1
                }
                return frames == wanted
            }()
            if !valid { break }
        }
        return scan
    }

    /// Checks one frame's salts and checksum against the chain and advances it.
    static func validate(_ frame: UnsafeRawBufferPointer, header: WALHeader, checksum: inout WALChecksum) -> Bool {
        guard WALFormat.readUInt32(frame, at: 8) == header.salt1, WALFormat.readUInt32(frame, at: 12) == header.salt2,
              WALFormat.readUInt32(frame, at: 0) != 0
        else { return false }
        var next = checksum
        next.add(UnsafeRawBufferPointer(rebasing: frame[0..<8]))
        next.add(UnsafeRawBufferPointer(rebasing: frame[WALFormat.frameHeaderSize...]))
        guard next.s0 == WALFormat.readUInt32(frame, at: 16), next.s1 == WALFormat.readUInt32(frame, at: 20) else {
            return false
        }
        checksum = next
        return true
    }
}
