import Foundation

/// Encodes and decodes Hrana messages as JSON. Every layer goes through these two entry points.
public enum HranaJSON {
    /// Encodes a message to compact UTF-8 JSON.
    ///
    /// Hrana's own types are written by a hand-written encoder (integral floats as `1.0`, slashes unescaped);
    /// other `Encodable` types go through `JSONEncoder`. A non-finite float throws, naming its path.
    ///
    /// - Parameter nonFiniteFloatsAsNull: write an infinite or NaN float value as `null`, as sqld does in its
    ///   responses (the sign is lost; decoders read it back as `.nan`). When `false`, such a value is an error,
    ///   since a server cannot bind it.
    public static func encode<T: Encodable>(
        _ message: T, nonFiniteFloatsAsNull: Bool = false
    ) throws(HranaCodingError) -> Data {
        if let writable = message as? any JSONWritable {
            var writer = JSONWriter(nonFiniteAsNull: nonFiniteFloatsAsNull)
            do {
                try writable.write(to: &writer)
                return Data(writer.bytes)
            } catch {
                // Only a non-finite double stops the writer; JSONEncoder reports where it is.
            }
        }
        return try encodeWithFoundation(message)
    }

    /// Encodes with Foundation's `JSONEncoder` (slashes unescaped).
    static func encodeWithFoundation<T: Encodable>(_ message: T) throws(HranaCodingError) -> Data {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            return try encoder.encode(message)
        } catch let error as EncodingError {
            throw HranaCodingError(encoding: error)
        } catch {
            throw HranaCodingError(message: "\(error)", path: "")
        }
    }

    /// Decodes a message from JSON, turning any failure into a ``HranaCodingError`` that says what and where.
    ///
    /// Hrana's own types are read by a strict hand-written reader; whenever it meets anything unusual
    /// (including every error) the same bytes go through `JSONDecoder`, which decides.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(HranaCodingError) -> T {
        if let readable = type as? any JSONReadable.Type, let value = fastDecode(readable, data) as? T {
            return value
        }
        return try decodeWithFoundation(type, from: data)
    }

    private static func fastDecode<R: JSONReadable>(_ type: R.Type, _ data: Data) -> R? { R.fastDecode(data) }

    /// Decodes with Foundation's `JSONDecoder` and the `Decodable` conformances.
    static func decodeWithFoundation<T: Decodable>(_ type: T.Type, from data: Data) throws(HranaCodingError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            var codingError = HranaCodingError(decoding: error)
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, context.underlyingError == nil,
                let detail = syntaxError(in: data)
            {
                codingError.message = "The given data was not valid JSON: \(detail)"
            }
            throw codingError
        } catch {
            throw HranaCodingError(message: "\(error)", path: "")
        }
    }
}

extension HranaJSON {
    /// Foundation's decoder says only "not valid JSON"; its serializer says what and at which character.
    static func syntaxError(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        }
    }
}

/// A message that could not be decoded (or encoded): what went wrong and where.
public struct HranaCodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// Where, as a path like `results[0].response.result.rows[3][1].value` (JSON) or
    /// `results[0].ok.execute.result.rows[3].values[1]` (protobuf); empty for the whole document.
    public var path: String
    /// For protobuf, the byte offset in the decoded buffer where the problem was found.
    public var offset: Int?

    /// Creates a decoding error.
    public init(message: String, path: String, offset: Int? = nil) {
        self.message = message
        self.path = path
        self.offset = offset
    }

    public var description: String {
        let place = [path.isEmpty ? nil : path, offset.map { "byte \($0)" }].compactMap { $0 }.joined(separator: ", ")
        return place.isEmpty ? "Invalid Hrana message: \(message)" : "Invalid Hrana message at \(place): \(message)"
    }

    init(decoding error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            self.init(message: "expected \(type): \(context.debugDescription)", path: Self.path(context.codingPath))
        case .valueNotFound(let type, let context):
            self.init(message: "missing \(type): \(context.debugDescription)", path: Self.path(context.codingPath))
        case .keyNotFound(let key, let context):
            self.init(message: "missing key \"\(key.stringValue)\"", path: Self.path(context.codingPath))
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let detail = [context.debugDescription, underlying].compactMap { $0 }.joined(separator: ": ")
            self.init(message: detail, path: Self.path(context.codingPath))
        @unknown default:
            self.init(message: "\(error)", path: "")
        }
    }

    init(encoding error: EncodingError) {
        switch error {
        case .invalidValue(_, let context):
            self.init(message: context.debugDescription, path: Self.path(context.codingPath))
        @unknown default:
            self.init(message: "\(error)", path: "")
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}
