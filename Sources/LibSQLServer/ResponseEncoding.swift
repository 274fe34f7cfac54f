import Foundation
import Hrana

/// Encodes responses as sqld does: a non-finite float (SQLite's `1e999`) is written as `"value": null`.
enum ResponseEncoding {
    static func encode(_ response: PipelineResponse) -> Data {
        (try? HranaJSON.encode(response, nonFiniteFloatsAsNull: true))
            ?? Data(#"{"baton":null,"base_url":null,"results":[]}"#.utf8)
    }

    static func encode(_ entry: CursorEntry) -> Data {
        (try? HranaJSON.encode(entry, nonFiniteFloatsAsNull: true)) ?? Data(#"{"type":"row","row":[]}"#.utf8)
    }
}
