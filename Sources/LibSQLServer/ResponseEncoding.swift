import Foundation
import Hrana

/// Encodes responses, writing non-finite floats (which JSON cannot hold) as SQL `NULL` values.
enum ResponseEncoding {
    static func encode(_ response: PipelineResponse) -> Data {
        if let data = try? HranaJSON.encode(response) { return data }
        var sanitized = response
        sanitized.results = response.results.map(sanitize)
        return (try? HranaJSON.encode(sanitized)) ?? Data(#"{"baton":null,"base_url":null,"results":[]}"#.utf8)
    }

    static func encode(_ entry: CursorEntry) -> Data {
        if let data = try? HranaJSON.encode(entry) { return data }
        let sanitized: CursorEntry = if case .row(let values) = entry { .row(values.map(sanitize)) } else { entry }
        return (try? HranaJSON.encode(sanitized)) ?? Data(#"{"type":"row","row":[]}"#.utf8)
    }

    private static func sanitize(_ value: Value) -> Value {
        if case .float(let double) = value, !double.isFinite { return .null }
        return value
    }

    private static func sanitize(_ result: StmtResult) -> StmtResult {
        var result = result
        result.rows = result.rows.map { $0.map(sanitize) }
        return result
    }

    private static func sanitize(_ result: StreamResult) -> StreamResult {
        switch result {
        case .ok(.execute(let stmtResult)):
            return .ok(.execute(sanitize(stmtResult)))
        case .ok(.batch(var batchResult)):
            batchResult.stepResults = batchResult.stepResults.map { $0.map(sanitize) }
            return .ok(.batch(batchResult))
        default:
            return result
        }
    }
}
