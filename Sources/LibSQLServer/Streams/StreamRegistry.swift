import Foundation
import NIOConcurrencyHelpers

/// Why a baton does not lead to a usable stream.
enum BatonRejection: Error, Sendable, Equatable {
    /// Forged, malformed, from another process, or of a closed stream.
    case invalid
    /// An outdated baton, or the stream is busy with another request.
    case alreadyUsed
    /// The stream expired while idle (tombstone still kept).
    case expired
}

/// The exclusive right to use a stream for one HTTP request.
struct StreamLease: Sendable {
    var streamID: UInt64
    var sequence: UInt64
    var stream: HranaStream
}

/// The HTTP streams of one server: which baton is current, who is using a stream, and which streams
/// expired. Streams are never closed under the lock; callers get them back to close.
final class StreamRegistry: Sendable {
    private enum Slot {
        case available(stream: HranaStream, sequence: UInt64, idleSince: ContinuousClock.Instant)
        case inUse(sequence: UInt64)
        case expired(since: ContinuousClock.Instant)
    }

    private let slots = NIOLockedValueBox<[UInt64: Slot]>([:])
    private let codec: BatonCodec
    private let idleTimeout: Duration
    private let retention: Duration

    init(codec: BatonCodec = BatonCodec(), idleTimeout: Duration, retention: Duration) {
        self.codec = codec
        self.idleTimeout = idleTimeout
        self.retention = retention
    }

    /// Registers a new stream and leases it to the current request.
    func create(stream: HranaStream) -> StreamLease {
        slots.withLockedValue { slots in
            var streamID = UInt64.random(in: 1...UInt64.max)
            while slots[streamID] != nil { streamID = UInt64.random(in: 1...UInt64.max) }
            let sequence = UInt64.random(in: 0...(UInt64.max >> 1))
            slots[streamID] = .inUse(sequence: sequence)
            return StreamLease(streamID: streamID, sequence: sequence, stream: stream)
        }
    }

    /// Leases the stream a baton names, if the baton is its current one and the stream is idle.
    func acquire(baton: String) -> Result<StreamLease, BatonRejection> {
        guard let decoded = codec.decode(baton) else { return .failure(.invalid) }
        return slots.withLockedValue { slots in
            switch slots[decoded.streamID] {
            case nil: return .failure(.invalid)
            case .expired: return .failure(.expired)
            case .inUse: return .failure(.alreadyUsed)
            case .available(let stream, let sequence, _):
                guard sequence == decoded.sequence else { return .failure(.alreadyUsed) }
                slots[decoded.streamID] = .inUse(sequence: sequence)
                return .success(StreamLease(streamID: decoded.streamID, sequence: sequence, stream: stream))
            }
        }
    }

    /// The baton the stream will accept once the lease is released.
    func nextBaton(for lease: StreamLease) -> String {
        codec.encode(streamID: lease.streamID, sequence: lease.sequence &+ 1)
    }

    /// Makes the stream available again under the baton of ``nextBaton(for:)``.
    func release(_ lease: StreamLease) {
        slots.withLockedValue { slots in
            slots[lease.streamID] = .available(stream: lease.stream, sequence: lease.sequence &+ 1, idleSince: .now)
        }
    }

    /// Gives a leased stream back untouched: its current baton stays valid.
    func restore(_ lease: StreamLease) {
        slots.withLockedValue { slots in
            slots[lease.streamID] = .available(stream: lease.stream, sequence: lease.sequence, idleSince: .now)
        }
    }

    /// Forgets a leased stream (closed, or dropped after a protocol error); its batons become invalid.
    func remove(_ lease: StreamLease) {
        _ = slots.withLockedValue { $0.removeValue(forKey: lease.streamID) }
    }

    /// Expires idle streams and purges old tombstones; returns the streams to close.
    func sweep(now: ContinuousClock.Instant = .now) -> [HranaStream] {
        slots.withLockedValue { slots in
            var expired: [HranaStream] = []
            for (id, slot) in slots {
                switch slot {
                case .available(let stream, _, let idleSince) where now - idleSince >= idleTimeout:
                    expired.append(stream)
                    slots[id] = .expired(since: now)
                case .expired(let since) where now - since >= retention:
                    slots.removeValue(forKey: id)
                default:
                    break
                }
            }
            return expired
        }
    }

    /// Forgets every stream; returns the idle streams to close (leased ones are closed by their holders).
    func removeAll() -> [HranaStream] {
        slots.withLockedValue { slots in
            let streams = slots.values.compactMap { slot -> HranaStream? in
                if case .available(let stream, _, _) = slot { return stream }
                return nil
            }
            slots.removeAll()
            return streams
        }
    }

    /// The number of live (not expired) streams.
    var liveStreamCount: Int {
        slots.withLockedValue { slots in
            slots.values.count { if case .expired = $0 { false } else { true } }
        }
    }
}
