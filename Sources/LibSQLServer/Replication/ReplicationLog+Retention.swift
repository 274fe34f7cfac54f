import Foundation

/// Purging old generations and saving `state.json`.
extension ReplicationLog {
    /// Purges the oldest closed generations beyond ``ReplicationOptions/keepGenerations`` and
    /// ``ReplicationOptions/maxArchiveBytes``: `state.json` first drops them from the closed ones (410 from
    /// then on), then their files are deleted, with every other file of a generation that is neither closed
    /// nor live (left by a purging cut, a restart that began a new generation, or a crash between the two steps).
    func applyRetention() throws {
        let (purged, kept) = live.withLockedValue { live -> ([UInt32], Set<UInt32>) in
            let closed = live.state.closed.keys.sorted(by: >)
            var kept = 0
            var bytes: Int64 = 0
            var victims: [UInt32] = []
            for generation in closed {
                kept += 1
                bytes += archive.size(of: generation)
                if let keep = options.keepGenerations, kept + 1 > keep {
                    victims.append(generation)
                } else if let limit = options.maxArchiveBytes, bytes > limit {
                    victims.append(generation)
                }
            }
            for generation in victims { live.state.closed[generation] = nil }
            if !victims.isEmpty { live.needsSave = true }
            return (victims, Set(live.state.closed.keys).union([live.state.generation]))
        }
        let leftovers = archive.archivedGenerations().subtracting(kept)
        guard !leftovers.isEmpty else { return }
        try persist()
        for generation in leftovers { archive.remove(generation) }
        if !purged.isEmpty {
            logger.debug("Purged old generations", metadata: ["generations": "\(purged.sorted())"])
        }
    }

    /// Writes the latest state to `state.json` if it changed; saves are serialized and always write the newest.
    func persist() throws {
        try saving.withLockedValue { _ in
            let state = live.withLockedValue { live -> ReplicationState? in
                guard live.needsSave else { return nil }
                live.needsSave = false
                return live.state
            }
            guard let state else { return }
            do {
                try archive.save(state)
            } catch {
                live.withLockedValue { $0.needsSave = true }
                throw error
            }
        }
    }
}
