import Fixtures
import Foundation
import Hrana
import Testing

/// The incremental newline-delimited cursor body decoder.
@Suite("Cursor body decoder")
struct CursorBodyDecoderTests {
    static let header = #"{"baton":"b1","base_url":null}"#

    static func body(_ lines: [String], trailingNewline: Bool = true) -> Data {
        Data((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8)
    }

    static func feedInChunks(_ body: Data, sizes: inout SeededGenerator, maxChunk: Int) throws -> [CursorEntry] {
        var decoder = CursorBodyDecoder()
        var entries: [CursorEntry] = []
        var offset = 0
        while offset < body.count {
            let size = Int.random(in: 1...maxChunk, using: &sizes)
            let end = min(body.count, offset + size)
            entries += try decoder.feed(body[offset..<end])
            offset = end
        }
        entries += try decoder.finish()
        #expect(decoder.header != nil)
        return entries
    }

    @Test("random chunk sizes from 1 byte to the whole body give identical entries", arguments: ["068", "071", "073"])
    func randomChunks(number: String) throws {
        let body = Data(try #require(try Exchange.load("v3", number).responseBody?.stringValue).utf8)
        let whole = try CursorBodyDecoder.decode(body).entries
        var generator = SeededGenerator(seed: 0xC0_FFEE &+ UInt64(number)!)
        for maxChunk in [1, 2, 3, 7, 16, 64, 333, body.count] {
            for _ in 0..<3 {
                #expect(try Self.feedInChunks(body, sizes: &generator, maxChunk: maxChunk) == whole, "max chunk \(maxChunk)")
            }
        }
    }

    @Test("a synthetic large body in random chunks, unicode split across chunks")
    func largeBody() throws {
        var generator = SeededGenerator(seed: 42)
        var lines = [Self.header, #"{"type":"step_begin","step":0,"cols":[{"name":"a","decltype":null},{"name":"b","decltype":"TEXT"}]}"#]
        var expected: [CursorEntry] = [.stepBegin(step: 0, cols: [Column(name: "a", decltype: nil), Column(name: "b", decltype: "TEXT")])]
        for index in 0..<300 {
            let text = String(repeating: "é😀\u{0}\"\\", count: index % 5)
            let row: [Value] = [.integer(Int64(index) * -3), .text(text)]
            lines.append(String(decoding: try HranaJSON.encode(CursorEntry.row(row)), as: UTF8.self))
            expected.append(.row(row))
        }
        lines.append(#"{"type":"step_end","affected_row_count":0,"last_insert_rowid":null}"#)
        expected.append(.stepEnd(affectedRowCount: 0, lastInsertRowID: nil))
        let body = Self.body(lines)
        for maxChunk in [1, 5, 100, 4096] {
            #expect(try Self.feedInChunks(body, sizes: &generator, maxChunk: maxChunk) == expected)
        }
    }

    @Test("entries come out as soon as their line is complete")
    func incremental() throws {
        var decoder = CursorBodyDecoder()
        #expect(try decoder.feed(Data(#"{"baton":"#.utf8)).isEmpty)
        #expect(decoder.header == nil)
        #expect(try decoder.feed(Data(#""b",  "base_url":"https://x/"}"#.utf8) + Data("\n{\"type\":\"step_begin\",\"step\":0,\"cols\":[]}".utf8)).isEmpty)
        #expect(decoder.header == CursorResponse(baton: "b", baseURL: "https://x/"))
        #expect(try decoder.feed([UInt8(ascii: "\n")]) == [.stepBegin(step: 0, cols: [])])
        #expect(try decoder.finish().isEmpty)
    }

    @Test("a last line without a newline is decoded by finish(); empty lines are skipped")
    func finalLineAndEmptyLines() throws {
        var decoder = CursorBodyDecoder()
        let body = "\n\n" + Self.header + "\n\n   \n" + #"{"type":"step_begin","step":0,"cols":[]}"# + "\r\n\n"
            + #"{"type":"step_end","affected_row_count":2,"last_insert_rowid":7}"#
        #expect(try decoder.feed(Data(body.utf8)) == [.stepBegin(step: 0, cols: [])])
        #expect(try decoder.finish() == [.stepEnd(affectedRowCount: 2, lastInsertRowID: 7)])
        #expect(try decoder.finish().isEmpty)
        #expect(throws: HranaCodingError.self) { try decoder.feed(Data("\n".utf8)) }
    }

    @Test("unknown entries such as sqld's replication_index are skipped")
    func unknownEntries() throws {
        let body = Self.body([
            Self.header, #"{"type":"step_begin","step":0,"cols":[]}"#, #"{"type":"future_kind","x":1}"#,
            #"{"type":"step_end","affected_row_count":0,"last_insert_rowid":"3"}"#,
            #"{"type":"replication_index","replication_index":12}"#,
        ])
        let decoded = try CursorBodyDecoder.decode(body)
        #expect(decoded.entries == [.stepBegin(step: 0, cols: []), .stepEnd(affectedRowCount: 0, lastInsertRowID: 3)])
    }

    @Test("a body without its header line is an error")
    func missingHeader() throws {
        var decoder = CursorBodyDecoder()
        #expect(try decoder.feed(Data("\n\n".utf8)).isEmpty)
        #expect(throws: HranaCodingError.self) { try decoder.finish() }
        #expect(throws: HranaCodingError.self) { try CursorBodyDecoder.decode(Data()) }
    }

    @Test("a bad line reports its line number and path, and the error sticks")
    func badLine() throws {
        var decoder = CursorBodyDecoder()
        let body = Self.body([Self.header, #"{"type":"row","row":[{"type":"integer","value":1}]}"#])
        do {
            _ = try decoder.feed(body)
            Issue.record("a bad row decoded")
        } catch {
            #expect(error.message.contains("line 2"))
            #expect(error.path == "row[0].value")
        }
        #expect(throws: HranaCodingError.self) { try decoder.feed(Data("\n".utf8)) }
        #expect(throws: HranaCodingError.self) { try decoder.finish() }
        #expect(throws: HranaCodingError.self) { try CursorBodyDecoder.decode(Data("not json\n".utf8)) }
        #expect(throws: HranaCodingError.self) { try CursorBodyDecoder.decode(Self.body([Self.header, "{\"type\":"])) }
    }

    @Test("lines longer than the limit fail without buffering more")
    func lineLimit() throws {
        var decoder = CursorBodyDecoder(maxLineLength: 64)
        #expect(try decoder.feed(Data((Self.header + "\n").utf8)).isEmpty)
        var threw = false
        for _ in 0..<100 {
            do {
                _ = try decoder.feed(Data(repeating: UInt8(ascii: "x"), count: 10))
            } catch {
                #expect(error.message.contains("longer than the limit of 64 bytes"))
                threw = true
                break
            }
        }
        #expect(threw)
        // A complete line over the limit in one chunk fails too; lines at the limit pass.
        var strict = CursorBodyDecoder(maxLineLength: Self.header.utf8.count)
        #expect(try strict.feed(Data((Self.header + "\n").utf8)).isEmpty)
        #expect(throws: HranaCodingError.self) {
            try strict.feed(Data((#"{"type":"step_begin","step":0,"cols":[]}"# + String(repeating: " ", count: 40) + "\n").utf8))
        }
    }

    @Test("bytes from a non-contiguous sequence are accepted")
    func anySequence() throws {
        var decoder = CursorBodyDecoder()
        let text = Self.header + "\n" + #"{"type":"error","error":{"message":"boom","code":"X"}}"# + "\n"
        let entries = try decoder.feed(text.utf8.lazy.map { $0 })
        #expect(entries == [.error(ProtocolError(message: "boom", code: "X"))])
    }
}
