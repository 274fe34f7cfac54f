import Foundation

/// A replica's place in the primary's history: generation, last applied frame, and the header change counter
/// the replica file had right after that frame's transaction was applied.
struct SyncPosition: Codable, Hashable, Sendable {
    var generation: UInt32
    var frame: UInt32
    var changeCounter: UInt32
    /// ``WALFrame/identity`` of the commit frame at `frame` (`nil` at frame 0): the next sync asks for that frame
    /// again and compares, so a primary whose history was replaced under the same generation number is noticed.
    var frameIdentity: UInt32?

    init(generation: UInt32, frame: UInt32, changeCounter: UInt32, frameIdentity: UInt32? = nil) {
        self.generation = generation
        self.frame = frame
        self.changeCounter = changeCounter
        self.frameIdentity = frameIdentity
    }
}

/// The `<db>-sync` file: which remote the replica follows and where it is.
///
/// It holds two positions. `committed` is where the replica was before the apply in progress; `pending` is where it
/// will be if that apply reaches its commit point. The file is written *before* the apply, and the database's own
/// change counter tells afterwards which of the two is true, so a crash at any moment leaves no doubt about the
/// position (a position written after the data could not tell "crashed after the commit point" from "someone
/// wrote to the file").
struct ReplicaMetadata: Codable, Hashable, Sendable {
    static let currentFormat = 1
    static let protocolName = "libsql-sync-v2"

    var format: Int = currentFormat
    var syncProtocol: String = protocolName
    /// The remote's base URL, without credentials or query.
    var remote: String
    var pageSize: Int
    /// Set while a new database file is being swapped in; such a replica is rebuilt on open.
    var bootstrapping: Bool
    var committed: SyncPosition
    var pending: SyncPosition?
    var checksum: UInt32 = 0

    private enum CodingKeys: String, CodingKey {
        case format, syncProtocol = "protocol", remote, pageSize, bootstrapping, committed, pending, checksum
    }

    /// The position the database file is at, judged by its change counter; `nil` if it matches neither.
    func position(forChangeCounter counter: UInt32) -> SyncPosition? {
        if let pending, pending.changeCounter == counter { return pending }
        return committed.changeCounter == counter ? committed : nil
    }

    func encoded() -> [UInt8] {
        var copy = self
        copy.checksum = 0
        copy.checksum = CRC32.checksum(Self.encode(copy))
        return Self.encode(copy)
    }

    static func decode(_ bytes: [UInt8]) throws(ReplicaError) -> ReplicaMetadata {
        let metadata: ReplicaMetadata
        do {
            metadata = try JSONDecoder().decode(ReplicaMetadata.self, from: Data(bytes))
        } catch {
            throw ReplicaError(.metadataMismatch, "The replica's sync metadata is not readable")
        }
        var unsigned = metadata
        unsigned.checksum = 0
        guard CRC32.checksum(encode(unsigned)) == metadata.checksum else {
            throw ReplicaError(.metadataMismatch, "The replica's sync metadata fails its checksum")
        }
        guard metadata.format == currentFormat, metadata.syncProtocol == protocolName else {
            throw ReplicaError(
                .metadataMismatch, "The replica's sync metadata has format \(metadata.format) (\(metadata.syncProtocol))")
        }
        return metadata
    }

    private static func encode(_ metadata: ReplicaMetadata) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? [UInt8](encoder.encode(metadata))) ?? []
    }
}
