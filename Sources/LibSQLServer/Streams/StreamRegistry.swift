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
///
/// At most `maxStreams` streams are live: a new stream beyond that expires the stream idle for longest (its
/// transaction is rolled back and its baton answers `STREAM_EXPIRED`), so clients that vanish without closing
/// their streams cannot exhaust the server's memory and descriptors before the idle timeout reclaims them.
/// Streams serving a request are never evicted.
final class StreamRegistry: Sendable {
    private enum Slot {
        case available(stream: HranaStream, sequence: UInt64, idleSince: ContinuousClock.Instant)
        case inUse(sequence: UInt64)
        case expired(since: ContinuousClock.Instant)

        var isLive: Bool {
            if case .expired = self { false } else { true }
        }
    }

    /// The slots by stream id, with a count of the live ones.
    private struct Slots {
        private(set) var byID: [UInt64: Slot] = [:]
        /// Slots that are not expired.
        private(set) var live = 0

        subscript(id: UInt64) -> Slot? {
            get { byID[id] }
            set {
                let old: Slot?
                if let newValue {
                    old = byID.updateValue(newValue, forKey: id)
                } else {
                    old = byID.removeValue(forKey: id)
                }
                live += (newValue?.isLive == true ? 1 : 0) - (old?.isLive == true ? 1 : 0)
            }
        }

        mutating func removeAll() {
            byID.removeAll()
            live = 0
        }
    }

    private let slots = NIOLockedValueBox(Slots())
    private let codec: BatonCodec
    private let idleTimeout: Duration
    private let retention: Duration
    private let maxStreams: Int

    init(codec: BatonCodec = BatonCodec(), idleTimeout: Duration, retention: Duration, maxStreams: Int = .max) {
        self.codec = codec
        self.idleTimeout = idleTimeout
        self.retention = retention
        self.maxStreams = max(1, maxStreams)
    }

    /// Registers a new stream and leases it to the current request. When that makes more than `maxStreams`
    /// live streams, the stream idle for longest expires; it is returned for the caller to close.
    func create(stream: HranaStream) -> (lease: StreamLease, evicted: HranaStream?) {
        slots.withLockedValue { slots in
            var streamID = UInt64.random(in: 1...UInt64.max)
            while slots[streamID] != nil { streamID = UInt64.random(in: 1...UInt64.max) }
            let sequence = UInt64.random(in: 0...(UInt64.max >> 1))
            slots[streamID] = .inUse(sequence: sequence)
            var evicted: HranaStream?
            if slots.live > maxStreams {
                var oldest: (id: UInt64, stream: HranaStream, since: ContinuousClock.Instant)?
                for (id, slot) in slots.byID {
                    if case .available(let stream, _, let idleSince) = slot, idleSince < oldest?.since ?? .now {
                        oldest = (id, stream, idleSince)
                    }
                }
                if let oldest {
                    slots[oldest.id] = .expired(since: .now)
                    evicted = oldest.stream
                }
            }
            return (StreamLease(streamID: streamID, sequence: sequence, stream: stream), evicted)
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
        slots.withLockedValue { $0[lease.streamID] = nil }
    }

    /// Expires idle streams and purges old tombstones; returns the streams to close.
    func sweep(now: ContinuousClock.Instant = .now) -> [HranaStream] {
        slots.withLockedValue { slots in
            var expired: [HranaStream] = []
            for (id, slot) in slots.byID {
                switch slot {
                case .available(let stream, _, let idleSince) where now - idleSince >= idleTimeout:
                    expired.append(stream)
                    slots[id] = .expired(since: now)
                case .expired(let since) where now - since >= retention:
                    slots[id] = nil
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
            let streams = slots.byID.values.compactMap { slot -> HranaStream? in
                if case .available(let stream, _, _) = slot { return stream }
                return nil
            }
            slots.removeAll()
            return streams
        }
    }

    /// The number of live (not expired) streams.
    var liveStreamCount: Int {
        slots.withLockedValue { $0.live }
    }
}
