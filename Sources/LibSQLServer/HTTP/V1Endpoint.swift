import Foundation
import Hrana
import Hummingbird

/// sqld's stateless HTTP API v1: `POST /v1/execute` (`{"stmt"}` ⇒ `{"result"}`) and `POST /v1/batch`
/// (`{"batch"}` ⇒ `{"result"}`), each on a stream of its own that closes with the request.
///
/// As in sqld, a statement error of `execute` is an HTTP status with a Hrana `Error` body: 400 for the
/// client's mistakes, 501 for positional and named arguments together, 503 when the database is busy or a
/// transaction timed out, 500 for other SQLite errors. Errors of batch steps stay in the batch result.
struct V1Endpoint {
    let core: ServerCore

    static let probeText = "This is sqld HTTP API v1"

    private struct ExecuteBody: Decodable { var stmt: Stmt }
    private struct BatchBody: Decodable { var batch: Batch }

    func execute(_ request: Request) async -> Response {
        switch await RequestReader(core: core).read(request, decode: { (data) throws(HranaCodingError) in
            try HranaJSON.decode(ExecuteBody.self, from: data)
        }) {
        case .failure(let error): return error.response
        case .success(let (body, access)):
            return await run(.execute(body.stmt), access: access)
        }
    }

    func batch(_ request: Request) async -> Response {
        switch await RequestReader(core: core).read(request, decode: { (data) throws(HranaCodingError) in
            try HranaJSON.decode(BatchBody.self, from: data)
        }) {
        case .failure(let error): return error.response
        case .success(let (body, access)):
            if !ConditionValidator.isValid(body.batch) {
                return HTTPResponses.text(.badRequest, StreamFailure.invalidConditionReference.message)
            }
            return await run(.batch(body.batch), access: access)
        }
    }

    private func run(_ streamRequest: StreamRequest, access: Access) async -> Response {
        if let unsupported = [streamRequest].first(where: { $0.minimumVersion > .v2 }) {
            return HTTPResponses.text(.badRequest, "The `\(unsupported.type)` request is not supported in HTTP API v1")
        }
        if access == .readOnly && WriteClassifier.mayWrite([streamRequest], storedSQL: [:]) {
            return HTTPResponses.jsonError(.forbidden, "Authorization forbidden: the token is read-only and the request may write")
        }
        let database = core.database
        let job: Result<Result<StreamResult, StreamFailure>, any Error>
        do {
            job = try await core.executor.run {
                switch ServerCore.openStream(database) {
                case .failure(let error): return .failure(error)
                case .success(let stream):
                    defer { stream.close() }
                    return .success(Result { () throws(StreamFailure) in try stream.handle(streamRequest, version: .v2) })
                }
            }
        } catch {
            return HTTPResponses.text(.serviceUnavailable, "The server is shutting down")
        }
        switch job {
        case .failure(let error): return core.openFailure(error).response
        case .success(.failure(let failure)): return HTTPResponses.text(.badRequest, failure.message)
        case .success(.success(.error(let error))): return Self.statementError(error)
        case .success(.success(.ok(let response))):
            let result: Data
            do {
                switch response {
                case .execute(let stmtResult): result = try HranaJSON.encode(stmtResult, nonFiniteFloatsAsNull: true)
                case .batch(let batchResult): result = try HranaJSON.encode(batchResult, nonFiniteFloatsAsNull: true)
                default: return HTTPResponses.jsonError(.internalServerError, "Internal Error: unexpected response")
                }
            } catch {
                return HTTPResponses.jsonError(
                    .internalServerError, "Internal Error: the response could not be encoded: \(error.description)")
            }
            return HTTPResponses.json(.ok, Data(#"{"result":"#.utf8) + result + Data("}".utf8), acceptsGzip: false)
        }
    }

    /// sqld's status for a statement error of `/v1/execute`, with the error as the body.
    static func statementError(_ error: ProtocolError) -> Response {
        let status: HTTPResponse.Status
        switch error.code ?? "" {
        case "SQL_PARSE_ERROR", "SQL_NO_STATEMENT", "SQL_MANY_STATEMENTS", "ARGS_INVALID", "SQL_INPUT_ERROR", "BLOCKED",
            "RESPONSE_TOO_LARGE":
            status = .badRequest
        case "ARGS_BOTH_POSITIONAL_AND_NAMED": status = .notImplemented
        case "TRANSACTION_TIMEOUT", "TRANSACTION_BUSY", "SQLITE_BUSY": status = .serviceUnavailable
        default: status = .internalServerError
        }
        return HTTPResponses.protocolError(status, error)
    }
}
