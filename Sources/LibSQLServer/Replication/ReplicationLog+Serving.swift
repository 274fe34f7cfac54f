import Foundation

/// `GET /info`, `/export/{g}`, `/sync/{g}/{start}/{end}` and the replication index of a write.
extension ReplicationLog {
    /// The live generation (`GET /info`).
    func currentGeneration() -> Result<UInt32, ReplicationError> {
        live.withLockedValue { live in
            if let broken = live.broken { return .failure(.io(broken)) }
            return .success(live.state.generation)
        }
    }

    /// The frames `start ..< end` of `generation`, at most ``maxFramesPerResponse``.
    func frames(generation: UInt32, start: UInt32, end: UInt32) -> FramesAnswer {
        live.withLockedValue { live in
            do { try refresh(&live) } catch { return .unavailable("\(error)") }
            if let broken = live.broken { return .unavailable(broken) }
            let current = live.state.generation
            let count: Int
            if generation == current {
                count = live.liveFrames
            } else if let closed = live.state.closed[generation] {
                count = closed
            } else {
                return .gone
            }
            guard start >= 1, Int(start) <= count, end > start else { return .endOfGeneration(current: current) }
            let last = min(Int(end) - 1, count, Int(start) + Self.maxFramesPerResponse - 1)
            let wanted = (last - Int(start) + 1) * WALFormat.frameSize
            do {
                if generation == current {
                    let bytes = try connections.wal.read(
                        at: WALFormat.offset(ofFrame: live.state.base + Int(start)), count: wanted)
                    guard bytes.count == wanted, Self.carriesSalts(bytes, live.scan?.header) else {
                        return .unavailable("the WAL changed while it was read")
                    }
                    return .frames(bytes)
                }
                let offset = (Int(start) - 1) * WALFormat.frameSize
                guard let bytes = try archive.read(archive.framesPath(generation), offset: offset, count: wanted),
                      bytes.count == wanted
                else { return .unavailable("the frames of generation \(generation) are missing from the archive") }
                return .frames(bytes)
            } catch {
                return .unavailable("\(error)")
            }
        }
    }

    private static func carriesSalts(_ bytes: [UInt8], _ header: WALHeader?) -> Bool {
        guard let header else { return false }
        return bytes.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: WALFormat.frameSize).allSatisfy { offset in
                WALFormat.readUInt32(raw, at: offset + 8) == header.salt1
                    && WALFormat.readUInt32(raw, at: offset + 12) == header.salt2
            }
        }
    }

    /// The database image at the start of `generation`, opened for reading. Blocks (at most `wait`) while a cut
    /// is still copying it; call it off the cooperative pool.
    func export(generation: UInt32, wait: Duration = .seconds(30)) -> ExportAnswer {
        let deadline = ContinuousClock.now + wait
        while true {
            let answer = live.withLockedValue { live -> ExportAnswer? in
                if let broken = live.broken { return .unavailable(broken) }
                guard generation == live.state.generation || live.state.closed[generation] != nil else {
                    return .gone
                }
                if live.exportPending == generation { return nil }
                let path = archive.exportPath(generation)
                guard FileManager.default.fileExists(atPath: path) else { return .gone }
                // Opened under the lock: retention drops a generation from the state under it before unlinking.
                do { return .image(try ExportImage(path: path)) } catch { return .unavailable("\(error)") }
            }
            if let answer { return answer }
            guard ContinuousClock.now < deadline else {
                return .unavailable("the export of generation \(generation) is still being written")
            }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    /// The replication index of the last committed write: frames of all earlier generations plus the
    /// live generation's frame count (see `Docs/Server.md`).
    ///
    /// Without a scan of the WAL when `commit` is known to be in an earlier generation (a cut came after it),
    /// or in the live one once the live WAL epoch is settled (it has frames after the cut's checkpoint, so the
    /// WAL cannot restart before the next cut): its frames end at `commit.walFrames` of that epoch. Otherwise
    /// the WAL is scanned again, only when the last scan began before that commit, so concurrent writers
    /// share scans.
    func replicationIndex(covering commit: CommitMark, of commits: CommitSequence) -> UInt64? {
        live.withLockedValue { live in
            if commit.number != 0, live.broken == nil {
                if commit.cuts < live.cuts {
                    return live.state.framesBefore + UInt64(live.liveFrames)
                }
                if commit.cuts == live.cuts, !live.walMayRestart {
                    let end = max(live.liveFrames, commit.walFrames - live.state.base)
                    return live.state.framesBefore + UInt64(end)
                }
            }
            if commit.number == 0 || commit.number > live.scannedThroughCommit {
                let through = commits.current
                guard (try? refresh(&live)) != nil else { return nil }
                live.scannedThroughCommit = through
            }
            guard live.broken == nil else { return nil }
            return live.state.framesBefore + UInt64(live.liveFrames)
        }
    }
}
