import Fixtures
import Foundation
import Hrana
import Testing

/// Recorded and random protobuf messages with bytes changed, removed and inserted: the decoder either
/// returns a message that re-encodes stably or throws a `HranaCodingError` with a byte offset inside the
/// input. It never traps and always stops (every test here finishing is the proof of that).
@Suite("Protobuf mutations")
struct ProtobufMutationTests {
    /// A message to mutate and the decoder to run on its variants.
    struct Sample {
        var bytes: [UInt8]
        var decode: (Data) throws(HranaCodingError) -> any Equatable
        var reencode: (any Equatable) -> Data
    }

    static func sample<M: ProtobufMessage & Equatable>(_ type: M.Type, _ bytes: Data) -> Sample {
        Sample(
            bytes: Array(bytes),
            decode: { (data) throws(HranaCodingError) in try HranaProtobuf.decode(M.self, from: data) },
            reencode: { HranaProtobuf.encode($0 as! M) })
    }

    static func corpus() throws -> [Sample] {
        var samples: [Sample] = []
        for session in WebSocketSession.protobuf {
            for frame in session.frames {
                samples.append(frame.isClient
                    ? sample(ClientMessage.self, try frame.bytes) : sample(ServerMessage.self, try frame.bytes))
            }
        }
        for exchange in ProtobufExchange.all {
            samples.append(exchange.isCursor
                ? sample(CursorRequest.self, try exchange.requestBytes) : sample(PipelineRequest.self, try exchange.requestBytes))
            if !exchange.isCursor { samples.append(sample(PipelineResponse.self, try exchange.responseBytes)) }
        }
        var random = RandomMessages(seed: 0x3A7E)
        for _ in 0..<40 {
            samples.append(sample(PipelineResponse.self, HranaProtobuf.encode(random.pipelineResponse())))
            samples.append(sample(PipelineRequest.self, HranaProtobuf.encode(random.pipelineRequest())))
            samples.append(sample(ServerMessage.self, HranaProtobuf.encode(random.serverMessage())))
        }
        return samples.filter { !$0.bytes.isEmpty }
    }

    static func mutate(_ bytes: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        let count = Int.random(in: 1...3, using: &generator)
        for _ in 0..<count {
            let position = Int.random(in: 0...max(0, bytes.count - 1), using: &generator)
            switch Int.random(in: 0...5, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &generator)
            case 1 where !bytes.isEmpty: bytes[position] ^= 1 << UInt8.random(in: 0...7, using: &generator)
            case 2 where !bytes.isEmpty:
                let length = Int.random(in: 1...min(8, bytes.count - position), using: &generator)
                bytes.removeSubrange(position..<(position + length))
            case 3:
                let inserted = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
                    [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x12, 0x08][Int.random(in: 0...7, using: &generator)] as UInt8
                }
                bytes.insert(contentsOf: inserted, at: min(position, bytes.count))
            case 4: bytes.removeLast(min(bytes.count, Int.random(in: 1...6, using: &generator)))
            case 5 where !bytes.isEmpty:
                let length = Int.random(in: 1...min(6, bytes.count - position), using: &generator)
                bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
            default: break
            }
        }
        return bytes
    }

    @Test("2,000 mutated messages: a typed error with a position, or a message that re-encodes stably")
    func mutations() throws {
        let corpus = try Self.corpus()
        try #require(corpus.count > 100)
        var generator = SeededGenerator(seed: 0x0BAD_B17E)
        var errors = 0
        var decoded = 0
        for _ in 0..<2_000 {
            let sample = corpus[Int.random(in: 0..<corpus.count, using: &generator)]
            let mutated = Self.mutate(sample.bytes, using: &generator)
            do {
                let message = try sample.decode(Data(mutated))
                decoded += 1
                let again = try sample.decode(sample.reencode(message))
                #expect(sample.reencode(again) == sample.reencode(message), "unstable re-encoding of \(mutated)")
            } catch {
                errors += 1
                let offset = try #require(error.offset, "no offset in \(error)")
                #expect((0...mutated.count).contains(offset), "offset \(offset) outside \(mutated.count) bytes: \(error)")
                #expect(!error.message.isEmpty)
            }
        }
        // Both outcomes occur: the test exercises the error paths and protobuf's leniency alike.
        #expect(errors > 200)
        #expect(decoded > 100)
    }

    @Test("every truncation of every recorded message either decodes or fails with an offset")
    func truncations() throws {
        for sample in try Self.corpus().prefix(60) {
            for length in 0..<sample.bytes.count {
                do {
                    _ = try sample.decode(Data(sample.bytes[..<length]))
                } catch {
                    #expect(error.offset.map { $0 <= length } == true, "\(error)")
                }
            }
        }
    }
}
