import Foundation

// Fast readers for the response messages (see JSONReadable.swift).

extension Column: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> Column {
        var name: String?
        var decltype: String?
        var seen: UInt8 = 0
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "name" {
                guard seen & 1 == 0 else { throw Bail() }
                seen |= 1
                name = try reader.readOptionalString()
            } else if key == "decltype" {
                guard seen & 2 == 0 else { throw Bail() }
                seen |= 2
                decltype = try reader.readOptionalString()
            } else {
                try reader.skipValue()
            }
        }
        return Column(name: name, decltype: decltype)
    }
}

extension ProtocolError: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> ProtocolError {
        var message: String?
        var code: String?
        var seenCode = false
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "message" {
                guard message == nil else { throw Bail() }
                message = try reader.readString()
            } else if key == "code" {
                try once(&seenCode)
                code = try reader.readOptionalString()
            } else {
                try reader.skipValue()
            }
        }
        guard let message else { throw Bail() }
        return ProtocolError(message: message, code: code)
    }
}

extension StmtResult: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> StmtResult {
        var cols: [Column]?
        var rows: [[Value]]?
        var affectedRowCount: UInt64?
        var result = StmtResult()
        var seen: UInt8 = 0
        try reader.readObject { (reader, key) throws(Bail) in
            func mark(_ bit: UInt8) throws(Bail) {
                guard seen & bit == 0 else { throw Bail() }
                seen |= bit
            }
            if key == "rows" {
                try mark(1)
                rows = try reader.readArray { (reader) throws(Bail) in try reader.readArray(of: Value.self) }
            } else if key == "cols" {
                try mark(2)
                cols = try reader.readArray(of: Column.self)
            } else if key == "affected_row_count" {
                try mark(4)
                affectedRowCount = try reader.readInteger(UInt64.self)
            } else if key == "last_insert_rowid" {
                try mark(8)
                result.lastInsertRowID = try reader.readFlexibleInt64()
            } else if key == "rows_read" {
                try mark(16)
                result.rowsRead = try reader.readNull() ? nil : try reader.readInteger(UInt64.self)
            } else if key == "rows_written" {
                try mark(32)
                result.rowsWritten = try reader.readNull() ? nil : try reader.readInteger(UInt64.self)
            } else if key == "query_duration_ms" {
                try mark(64)
                result.queryDurationMS = try reader.readNull() ? nil : try reader.readDouble()
            } else if key == "replication_index" {
                try mark(128)
                result.replicationIndex = try reader.readFlexibleUInt64()
            } else {
                try reader.skipValue()
            }
        }
        guard let cols, let rows, let affectedRowCount else { throw Bail() }
        result.cols = cols
        result.rows = rows
        result.affectedRowCount = affectedRowCount
        return result
    }
}

extension BatchResult: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> BatchResult {
        var stepResults: [StmtResult?]?
        var stepErrors: [ProtocolError?]?
        var replicationIndex: UInt64?
        var seenIndex = false
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "step_results" {
                guard stepResults == nil else { throw Bail() }
                stepResults = try reader.readArray { (reader) throws(Bail) in
                    try reader.readNull() ? nil : try StmtResult.read(from: &reader)
                }
            } else if key == "step_errors" {
                guard stepErrors == nil else { throw Bail() }
                stepErrors = try reader.readArray { (reader) throws(Bail) in
                    try reader.readNull() ? nil : try ProtocolError.read(from: &reader)
                }
            } else if key == "replication_index" {
                try once(&seenIndex)
                replicationIndex = try reader.readFlexibleUInt64()
            } else {
                try reader.skipValue()
            }
        }
        guard let stepResults, let stepErrors else { throw Bail() }
        return BatchResult(stepResults: stepResults, stepErrors: stepErrors, replicationIndex: replicationIndex)
    }
}

extension DescribeResult: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> DescribeResult {
        var params: [Param]?
        var cols: [Column]?
        var isExplain: Bool?
        var isReadonly: Bool?
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "params" {
                guard params == nil else { throw Bail() }
                params = try reader.readArray { (reader) throws(Bail) in
                    var name: String?
                    var seenName = false
                    try reader.readObject { (reader, key) throws(Bail) in
                        if key == "name" {
                            try once(&seenName)
                            name = try reader.readOptionalString()
                        } else {
                            try reader.skipValue()
                        }
                    }
                    return Param(name: name)
                }
            } else if key == "cols" {
                guard cols == nil else { throw Bail() }
                cols = try reader.readArray(of: Column.self)
            } else if key == "is_explain" {
                guard isExplain == nil else { throw Bail() }
                isExplain = try reader.readBool()
            } else if key == "is_readonly" {
                guard isReadonly == nil else { throw Bail() }
                isReadonly = try reader.readBool()
            } else {
                try reader.skipValue()
            }
        }
        guard let params, let cols, let isExplain, let isReadonly else { throw Bail() }
        return DescribeResult(params: params, cols: cols, isExplain: isExplain, isReadonly: isReadonly)
    }
}

extension StreamResponse: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> StreamResponse {
        var response: StreamResponse?
        var seen = false
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "result", type == "execute" {
                try once(&seen)
                response = .execute(try StmtResult.read(from: &reader))
            } else if key == "result", type == "batch" {
                try once(&seen)
                response = .batch(try BatchResult.read(from: &reader))
            } else if key == "result", type == "describe" {
                try once(&seen)
                response = .describe(try DescribeResult.read(from: &reader))
            } else if key == "is_autocommit", type == "get_autocommit" {
                try once(&seen)
                response = .getAutocommit(isAutocommit: try reader.readBool())
            } else {
                try reader.skipValue()
            }
        }
        if tag == "close" { return .close }
        if tag == "sequence" { return .sequence }
        if tag == "store_sql" { return .storeSQL }
        if tag == "close_sql" { return .closeSQL }
        guard let response else { throw Bail() }
        return response
    }
}

extension StreamResult: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> StreamResult {
        var result: StreamResult?
        var seen = false
        _ = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "response", type == "ok" {
                try once(&seen)
                result = .ok(try StreamResponse.read(from: &reader))
            } else if key == "error", type == "error" {
                try once(&seen)
                result = .error(try ProtocolError.read(from: &reader))
            } else {
                try reader.skipValue()
            }
        }
        guard let result else { throw Bail() }
        return result
    }
}

extension PipelineResponse: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> PipelineResponse {
        var baton: String?
        var baseURL: String?
        var results: [StreamResult]?
        var seen: UInt8 = 0
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "results" {
                guard results == nil else { throw Bail() }
                results = try reader.readArray(of: StreamResult.self)
            } else if key == "baton" {
                try once(&seen, bit: 1)
                baton = try reader.readOptionalString()
            } else if key == "base_url" {
                try once(&seen, bit: 2)
                baseURL = try reader.readOptionalString()
            } else {
                try reader.skipValue()
            }
        }
        guard let results else { throw Bail() }
        return PipelineResponse(baton: baton, baseURL: baseURL, results: results)
    }
}

extension CursorResponse: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> CursorResponse {
        var baton: String?
        var baseURL: String?
        var seen: UInt8 = 0
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "baton" {
                try once(&seen, bit: 1)
                baton = try reader.readOptionalString()
            } else if key == "base_url" {
                try once(&seen, bit: 2)
                baseURL = try reader.readOptionalString()
            } else {
                try reader.skipValue()
            }
        }
        return CursorResponse(baton: baton, baseURL: baseURL)
    }
}

extension CursorEntry: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> CursorEntry {
        var step: UInt32?
        var cols: [Column]?
        var row: [Value]?
        var error: ProtocolError?
        var affectedRowCount: UInt64?
        var lastInsertRowID: Int64?
        var seen: UInt8 = 0
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "row", type == "row" {
                try once(&seen, bit: 1)
                row = try reader.readArray(of: Value.self)
            } else if key == "step", type == "step_begin" || type == "step_error" {
                try once(&seen, bit: 2)
                step = try reader.readInteger(UInt32.self)
            } else if key == "cols", type == "step_begin" {
                try once(&seen, bit: 4)
                cols = try reader.readArray(of: Column.self)
            } else if key == "error", type == "step_error" || type == "error" {
                try once(&seen, bit: 8)
                error = try ProtocolError.read(from: &reader)
            } else if key == "affected_row_count", type == "step_end" {
                try once(&seen, bit: 16)
                affectedRowCount = try reader.readInteger(UInt64.self)
            } else if key == "last_insert_rowid", type == "step_end" {
                try once(&seen, bit: 32)
                lastInsertRowID = try reader.readFlexibleInt64()
            } else {
                try reader.skipValue()
            }
        }
        if tag == "row", let row { return .row(row) }
        if tag == "step_begin", let step, let cols { return .stepBegin(step: step, cols: cols) }
        if tag == "step_end", let affectedRowCount {
            return .stepEnd(affectedRowCount: affectedRowCount, lastInsertRowID: lastInsertRowID)
        }
        if tag == "step_error", let step, let error { return .stepError(step: step, error: error) }
        if tag == "error", let error { return .error(error) }
        if tag == "row" || tag == "step_begin" || tag == "step_end" || tag == "step_error" || tag == "error" {
            throw Bail()
        }
        guard let type = String(validating: tag.bytes, as: UTF8.self) else { throw Bail() }
        return .unknown(type: type)
    }
}
