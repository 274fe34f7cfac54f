import Foundation
import Hrana
import Testing

/// The varint-length-delimited body of `/v3-protobuf/cursor`, decoded as it arrives in chunks of any size.
@Suite("Protobuf cursor body")
struct ProtobufCursorBodyTests {
    static let header = CursorResponse(baton: "b.1", baseURL: nil)
    static let entries: [CursorEntry] = [
        .stepBegin(step: 0, cols: [Column(name: "a", decltype: "TEXT")]),
        .row([.text(String(repeating: "x", count: 300))]),
        .row([.integer(-1)]),
        .stepEnd(affectedRowCount: 0, lastInsertRowID: nil),
        .stepError(step: 1, error: ProtocolError(message: "no such table: t", code: "SQLITE_ERROR")),
        .error(ProtocolError(message: "batch failed", code: nil)),
    ]

    static func decodeInChunks(_ body: Data, size: Int) throws(HranaCodingError) -> [CursorEntry] {
        var decoder = ProtobufCursorBodyDecoder()
        var entries: [CursorEntry] = []
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + size)
            entries += try decoder.feed(body[offset..<end])
            offset = end
        }
        try decoder.finish()
        #expect(decoder.header == header)
        return entries
    }

    @Test("chunks of every size from 1 to 40 bytes, and the whole body at once")
    func chunks() throws {
        let body = HranaProtobuf.encodeCursorBody(header: Self.header, entries: Self.entries)
        #expect(body.count > 300, "one item needs a two-byte length")
        for size in [1, 2, 3, 5, 7, 11, 16, 40, body.count] {
            #expect(try Self.decodeInChunks(body, size: size) == Self.entries)
        }
        var streamed = HranaProtobuf.encodeCursorItem(Self.header)
        for entry in Self.entries { streamed += HranaProtobuf.encodeCursorItem(entry) }
        #expect(streamed == body)
    }

    @Test("sqld's replication_index entry and its empty form are skipped")
    func unknownEntries() throws {
        var body = HranaProtobuf.encodeCursorItem(Self.header)
        body += HranaProtobuf.encodeCursorItem(CursorEntry.row([.null]))
        body += Data([0x04, 0x32, 0x02, 0x08, 0x05])  // CursorEntry { replication_index { 5 } }
        body += Data([0x00])  // empty CursorEntry: a null replication index
        #expect(try ProtobufCursorBodyDecoder.decode(body).entries == [.row([.null])])
    }

    @Test("a decoded replication_index entry encodes as what it was (found by the hrana-protobuf fuzz target)")
    func replicationIndexEntryRoundTrips() throws {
        let entry = try HranaProtobuf.decode(CursorEntry.self, from: Data([0x32, 0x02, 0x08, 0x05]))
        #expect(entry == .unknown(type: "replication_index"))
        #expect(try HranaProtobuf.decode(CursorEntry.self, from: HranaProtobuf.encode(entry)) == entry)
        #expect(try HranaProtobuf.decode(CursorEntry.self, from: Data()) == .unknown(type: ""))
    }

    @Test("a body cut inside an item, or before its header, fails at finish")
    func truncated() throws {
        let body = HranaProtobuf.encodeCursorBody(header: Self.header, entries: Self.entries)
        var decoder = ProtobufCursorBodyDecoder()
        _ = try decoder.feed(body.dropLast(3))
        #expect(throws: HranaCodingError.self) { try decoder.finish() }
        var empty = ProtobufCursorBodyDecoder()
        do {
            try empty.finish()
            Issue.record("an empty body was accepted")
        } catch {
            #expect(error.message.contains("before its header"))
        }
    }

    @Test("bad items: a malformed entry, an overlong length, an item above the limit; the failure sticks")
    func badItems() throws {
        var body = HranaProtobuf.encodeCursorItem(Self.header)
        let headerLength = body.count
        body += Data([0x03, 0x22, 0x05, 0x61])  // an entry whose field runs past the item
        var decoder = ProtobufCursorBodyDecoder()
        do {
            _ = try decoder.feed(body)
            Issue.record("a malformed entry was accepted")
        } catch {
            #expect(error.message.contains("cursor body item 2"))
            #expect(error.offset == headerLength + 1)
        }
        #expect(throws: HranaCodingError.self) { try decoder.feed([0x00]) }

        var overlong = ProtobufCursorBodyDecoder()
        #expect(throws: HranaCodingError.self) { try overlong.feed(Array(repeating: 0xFF, count: 11)) }

        var limited = ProtobufCursorBodyDecoder(maxItemLength: 100)
        do {
            _ = try limited.feed(HranaProtobuf.encodeCursorItem(CursorEntry.row([.text(String(repeating: "y", count: 200))])))
            Issue.record("an item above the limit was accepted")
        } catch {
            #expect(error.message.contains("above the limit of 100"))
        }
    }
}
