import Foundation
import Testing
@testable import Replica

@Suite struct MetadataTests {
    let sample = ReplicaMetadata(
        remote: "http://127.0.0.1:8080", pageSize: 4096, bootstrapping: false,
        committed: SyncPosition(generation: 3, frame: 17, changeCounter: 40),
        pending: SyncPosition(generation: 3, frame: 20, changeCounter: 41))

    @Test func roundTrips() throws {
        #expect(try ReplicaMetadata.decode(sample.encoded()) == {
            var signed = sample
            signed.checksum = try! ReplicaMetadata.decode(sample.encoded()).checksum
            return signed
        }())
    }

    @Test func tamperingFailsTheChecksum() throws {
        var text = String(decoding: sample.encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"frame\":17", with: "\"frame\":18")
        #expect(throws: ReplicaError.self) { try ReplicaMetadata.decode(Array(text.utf8)) }
        #expect(throws: ReplicaError.self) { try ReplicaMetadata.decode(Array("not json".utf8)) }
    }

    @Test func theChangeCounterPicksThePosition() {
        #expect(sample.position(forChangeCounter: 40)?.frame == 17)
        #expect(sample.position(forChangeCounter: 41)?.frame == 20)
        #expect(sample.position(forChangeCounter: 42) == nil)
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}

@Suite struct FrameParsingTests {
    func frame(page: UInt32, sizeAfter: UInt32) -> Data {
        var bytes = [UInt8](repeating: 0xAB, count: WALFrame.size)
        putBigEndian(page, into: &bytes, at: 0)
        putBigEndian(sizeAfter, into: &bytes, at: 4)
        return Data(bytes)
    }

    @Test func parsesFramesBigEndian() throws {
        let frames = try WALFrame.parse(frame(page: 2, sizeAfter: 0) + frame(page: 300, sizeAfter: 301))
        #expect(frames.map(\.pageNumber) == [2, 300])
        #expect(frames.map(\.isCommit) == [false, true])
        #expect(frames[0].page.count == 4096)
    }

    @Test(arguments: [0, 1, 4119, 4121, 8239])
    func rejectsTornBodies(length: Int) {
        let body = (frame(page: 1, sizeAfter: 1) + frame(page: 1, sizeAfter: 1)).prefix(length)
        #expect(throws: ReplicaError.self) { try WALFrame.parse(Data(body)) }
    }

    @Test func rejectsImpossibleHeaders() {
        #expect(throws: ReplicaError.self) { try WALFrame.parse(frame(page: 0, sizeAfter: 1)) }
        #expect(throws: ReplicaError.self) { try WALFrame.parse(frame(page: 9, sizeAfter: 3)) }
    }

    @Test func bufferKeepsTheLastImageAndDropsTruncatedPages() throws {
        var buffer = TransactionBuffer()
        var first = [UInt8](frame(page: 5, sizeAfter: 0))
        first[30] = 1
        #expect(try buffer.add(try WALFrame.parse(Data(first))[0], number: 1) == nil)
        #expect(try buffer.add(try WALFrame.parse(frame(page: 5, sizeAfter: 0))[0], number: 2) == nil)
        #expect(try buffer.add(try WALFrame.parse(frame(page: 9, sizeAfter: 0))[0], number: 3) == nil)
        let transaction = try #require(try buffer.add(try WALFrame.parse(frame(page: 1, sizeAfter: 6))[0], number: 4))
        #expect(transaction.commitFrame == 4)
        #expect(transaction.frameCount == 4)
        #expect(transaction.pages.keys.sorted() == [1, 5])
        #expect(try transaction.image(try #require(transaction.pages[5]))[6] == 0xAB)
        #expect(buffer.isEmpty)
    }

    @Test func journalChecksumSumsEvery200thByteFromTheEnd() {
        var page = [UInt8](repeating: 0, count: 4096)
        page[3896] = 1
        page[96] = 2
        page[4000] = 9
        #expect(RollbackJournal.checksum(page, nonce: 10) == 13)
    }
}
