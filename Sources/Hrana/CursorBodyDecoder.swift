import Foundation

/// Decodes the newline-delimited JSON body of `POST /v3/cursor` incrementally, as its bytes arrive.
///
/// Feed it the body in chunks of any size; each call returns the cursor entries completed so far. The
/// first line is the ``CursorResponse`` header (``header``); every later line is one ``CursorEntry``.
/// Lines end with `\n`; empty lines are skipped, a last line without `\n` is decoded by ``finish()``, and
/// entries of unknown type (sqld's `replication_index`, future kinds) are skipped. A line longer than
/// ``maxLineLength`` bytes is an error, so garbage without newlines cannot grow memory without bound.
///
/// ```swift
/// var decoder = CursorBodyDecoder()
/// for try await chunk in body { for entry in try decoder.feed(chunk) { handle(entry) } }
/// for entry in try decoder.finish() { handle(entry) }
/// ```
///
/// After an error every later call throws the same error.
public struct CursorBodyDecoder: Sendable {
    /// The default line limit: 64 MiB, above any row sqld can produce (5 MB values, base64-encoded).
    public static let defaultMaxLineLength = 64 << 20

    /// The longest line accepted, in bytes, without its `\n`.
    public let maxLineLength: Int
    /// The header line, once it has been decoded.
    public private(set) var header: CursorResponse?

    private var buffer: [UInt8] = []
    private var scanned = 0
    private var lineNumber = 0
    private var failure: HranaCodingError?
    private var finished = false

    /// Creates a decoder with a line limit (in bytes).
    public init(maxLineLength: Int = CursorBodyDecoder.defaultMaxLineLength) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
    }

    /// Consumes the next bytes of the body and returns the entries whose lines are now complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(HranaCodingError) -> [CursorEntry] {
        if let failure { throw failure }
        guard !finished else { throw fail(HranaCodingError(message: "cursor body fed after finish()", path: "")) }
        let appended: Bool? = bytes.withContiguousStorageIfAvailable {
            buffer.append(contentsOf: $0)
            return true
        }
        if appended == nil { buffer.append(contentsOf: bytes) }
        return try drainCompleteLines()
    }

    /// Ends the body: decodes a last line without `\n` and checks that the header arrived.
    public mutating func finish() throws(HranaCodingError) -> [CursorEntry] {
        if let failure { throw failure }
        guard !finished else { return [] }
        finished = true
        var entries: [CursorEntry] = []
        if !buffer.isEmpty {
            lineNumber += 1
            let line = buffer
            buffer = []
            scanned = 0
            if let entry = try decodeLine(line[...]) { entries.append(entry) }
        }
        if header == nil {
            throw fail(HranaCodingError(message: "cursor body ended before its header line", path: ""))
        }
        return entries
    }

    /// Decodes a whole cursor body at once.
    public static func decode(_ body: some Sequence<UInt8>) throws(HranaCodingError) -> (
        header: CursorResponse, entries: [CursorEntry]
    ) {
        var decoder = CursorBodyDecoder()
        var entries = try decoder.feed(body)
        entries += try decoder.finish()
        return (decoder.header!, entries)
    }

    private mutating func drainCompleteLines() throws(HranaCodingError) -> [CursorEntry] {
        var entries: [CursorEntry] = []
        var lineStart = 0
        var index = scanned
        let count = buffer.count
        while index < count {
            if buffer[index] == UInt8(ascii: "\n") {
                if index - lineStart > maxLineLength { throw fail(tooLong()) }
                lineNumber += 1
                if let entry = try decodeLine(buffer[lineStart..<index]) { entries.append(entry) }
                lineStart = index + 1
            }
            index += 1
        }
        if lineStart > 0 { buffer.removeSubrange(0..<lineStart) }
        scanned = buffer.count
        if scanned > maxLineLength { throw fail(tooLong()) }
        return entries
    }

    private mutating func decodeLine(_ line: ArraySlice<UInt8>) throws(HranaCodingError) -> CursorEntry? {
        if line.allSatisfy(Self.isJSONWhitespace) { return nil }
        do throws(HranaCodingError) {
            if header == nil {
                header = try Self.decode(CursorResponse.self, line)
                return nil
            }
            let entry = try Self.decode(CursorEntry.self, line)
            if case .unknown = entry { return nil }
            return entry
        } catch {
            throw fail(HranaCodingError(message: "cursor body line \(lineNumber): \(error.message)", path: error.path))
        }
    }

    private static func decode<T: JSONReadable & Decodable>(
        _ type: T.Type, _ line: ArraySlice<UInt8>
    ) throws(HranaCodingError) -> T {
        if let value = line.withUnsafeBufferPointer({ T.fastDecode(bytes: $0) }) { return value }
        return try HranaJSON.decode(type, from: Data(line))
    }

    private func tooLong() -> HranaCodingError {
        HranaCodingError(
            message: "cursor body line \(lineNumber + 1) is longer than the limit of \(maxLineLength) bytes", path: "")
    }

    private mutating func fail(_ error: HranaCodingError) -> HranaCodingError {
        failure = error
        buffer = []
        return error
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
