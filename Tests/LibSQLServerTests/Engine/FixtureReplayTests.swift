import Fixtures
import Foundation
import Hrana
import SQLiteCore
import Testing
@testable import LibSQLServer

extension EngineTests {
    /// Replays every recorded exchange of the reference Hrana test server against a fresh engine database,
    /// without HTTP, and compares the portable facts of `Tests/Fixtures/README.md` §4.
    ///
    /// Batons are simulated: each recorded response baton maps to the session that produced it, a request
    /// with a baton that maps to no session (unknown or already replaced) is what the HTTP layer rejects.
    @Suite struct FixtureReplayTests {
        /// Exchanges the reference server failed (HTTP 500) that sqld, and so this engine, accepts.
        static let acceptedBySqld: Set<String> = ["059-blob-arg-unpadded.json"]

        @Test(arguments: ["v2", "v3"])
        func replay(version folder: String) throws {
            let version: ProtocolVersion = folder == "v2" ? .v2 : .v3
            let harness = try EngineHarness()
            var streams: [String: HranaStream] = [:]
            var replayed = 0
            for file in try Fixtures.jsonFiles(in: Fixtures.hranaTestServer(folder)) {
                let exchange = try Exchange(file: file)
                guard exchange.method == "POST" else { continue }
                replayed += 1
                try replay(exchange, version: version, harness: harness, streams: &streams)
            }
            #expect(replayed == (folder == "v2" ? 58 : 70))
        }

        private func replay(
            _ exchange: Exchange, version: ProtocolVersion, harness: EngineHarness, streams: inout [String: HranaStream]
        ) throws {
            let name = exchange.name
            let session: HranaStream
            if let baton = exchange.requestBody["baton"] as? String {
                guard let existing = streams[baton] else {
                    #expect(exchange.status == 500, "\(name): unknown baton should be rejected")
                    return
                }
                session = existing
                streams[baton] = nil
            } else {
                session = try harness.openStream()
            }

            let isCursor = exchange.path.hasSuffix("/cursor")
            let outcome: Result<Replayed, StreamFailure>
            if isCursor {
                let request = try HranaJSON.decode(CursorRequest.self, from: try exchange.data(exchange.requestBody))
                var entries: [CursorEntry] = []
                do throws(StreamFailure) {
                    try session.runCursor(request.batch, version: version) { entries.append($0) }
                    outcome = .success(.cursor(request.batch, entries))
                } catch {
                    outcome = .failure(error)
                }
            } else {
                let request = try HranaJSON.decode(PipelineRequest.self, from: try exchange.data(exchange.requestBody))
                var results: [StreamResult] = []
                do throws(StreamFailure) {
                    for streamRequest in request.requests {
                        if case .close = streamRequest {
                            session.close()
                            results.append(.ok(.close))
                        } else {
                            results.append(try session.handle(streamRequest, version: version))
                        }
                    }
                    outcome = .success(.pipeline(request.requests, results))
                } catch {
                    outcome = .failure(error)
                }
            }

            switch outcome {
            case .failure(let failure):
                session.close()
                #expect(exchange.status == 500, "\(name): unexpected stream failure \(failure.message)")
            case .success(.pipeline(let requests, let results)):
                if Self.acceptedBySqld.contains(name) {
                    guard case .ok(.execute(let result)) = results.first else {
                        Issue.record("\(name): expected success, got \(results)")
                        return
                    }
                    #expect(result.rows == [[.blob(Data([1, 2]))]], "\(name)")
                    return
                }
                #expect(exchange.status == 200, "\(name): succeeded but the fixture expects \(exchange.status)")
                guard exchange.status == 200 else { return }
                let recorded = try HranaJSON.decode(PipelineResponse.self, from: try exchange.data(exchange.responseBody))
                #expect(results.count == recorded.results.count, "\(name)")
                for (index, (ours, theirs)) in zip(results, recorded.results).enumerated() {
                    compare(ours, theirs, request: requests[index], at: "\(name) results[\(index)]")
                }
                #expect(session.isClosed == (recorded.baton == nil), "\(name): stream closed state")
                if let baton = recorded.baton { streams[baton] = session }
            case .success(.cursor(let batch, let entries)):
                #expect(exchange.status == 200, "\(name)")
                let lines = try #require(exchange.json["response_lines"] as? [Any], "\(name)")
                let header = try #require(lines.first as? [String: Any])
                let recorded = try lines.dropFirst().map { try HranaJSON.decode(CursorEntry.self, from: try exchange.data($0)) }
                compare(entries, recorded, batch: batch, at: name)
                if let baton = header["baton"] as? String { streams[baton] = session }
            }
        }

        // MARK: Comparison of portable facts

        private func compare(_ ours: StreamResult, _ theirs: StreamResult, request: StreamRequest, at location: String) {
            switch (ours, theirs) {
            case (.error(let error), .error):
                #expect(error.code != nil, "\(location): an error must carry a code")
            case (.ok(let ours), .ok(let theirs)):
                #expect(ours.type == theirs.type, "\(location)")
                switch (ours, theirs, request) {
                case (.execute(let ours), .execute(let theirs), .execute(let stmt)):
                    compare(ours, theirs, sql: stmt.sql, at: location)
                case (.batch(let ours), .batch(let theirs), .batch(let batch)):
                    compare(ours, theirs, batch: batch, at: location)
                case (.describe(let ours), .describe(let theirs), _):
                    #expect(ours == theirs, "\(location)")
                case (.getAutocommit(let ours), .getAutocommit(let theirs), _):
                    #expect(ours == theirs, "\(location)")
                default:
                    break
                }
            default:
                Issue.record("\(location): ours \(ours), recorded \(theirs)")
            }
        }

        private func compare(_ ours: BatchResult, _ theirs: BatchResult, batch: Batch, at location: String) {
            #expect(ours.stepResults.count == theirs.stepResults.count, "\(location)")
            #expect(ours.stepErrors.map { $0 != nil } == theirs.stepErrors.map { $0 != nil }, "\(location) step errors")
            #expect(ours.stepResults.map { $0 != nil } == theirs.stepResults.map { $0 != nil }, "\(location) step results")
            for (index, (mine, recorded)) in zip(ours.stepResults, theirs.stepResults).enumerated() {
                guard let mine, let recorded else { continue }
                compare(mine, recorded, sql: batch.steps[index].stmt.sql, at: "\(location) step \(index)")
            }
        }

        /// Columns, rows and counts are portable; `last_insert_rowid` only right after an INSERT (else sqld's null).
        private func compare(_ ours: StmtResult, _ theirs: StmtResult, sql: String?, at location: String) {
            #expect(ours.cols == theirs.cols, "\(location) cols")
            #expect(ours.rows == theirs.rows, "\(location) rows")
            #expect(ours.affectedRowCount == theirs.affectedRowCount, "\(location) affected_row_count")
            if sql == nil {
                // Stored SQL (`sql_id`): the kind is not known here.
            } else if isInsert(sql) {
                #expect(ours.lastInsertRowID == theirs.lastInsertRowID, "\(location) last_insert_rowid")
            } else {
                #expect(ours.lastInsertRowID == nil, "\(location) last_insert_rowid after a non-INSERT")
            }
        }

        private func compare(_ ours: [CursorEntry], _ theirs: [CursorEntry], batch: Batch, at location: String) {
            #expect(ours.count == theirs.count, "\(location) entries: \(ours)")
            var step = 0
            for (mine, recorded) in zip(ours, theirs) {
                switch (mine, recorded) {
                case (.stepBegin(let index, _), .stepBegin):
                    step = Int(index)
                    #expect(mine == recorded, "\(location)")
                case (.row, .row):
                    #expect(mine == recorded, "\(location)")
                case (.stepEnd(let affected, let rowID), .stepEnd(let recordedAffected, let recordedRowID)):
                    #expect(affected == recordedAffected, "\(location)")
                    #expect(rowID == (isInsert(batch.steps[step].stmt.sql) ? recordedRowID : nil), "\(location)")
                case (.stepError(let index, let error), .stepError(let recordedIndex, _)):
                    #expect(index == recordedIndex && error.code != nil, "\(location)")
                default:
                    Issue.record("\(location): ours \(mine), recorded \(recorded)")
                }
            }
        }

        private func isInsert(_ sql: String?) -> Bool {
            sql.map { SQLText.statementKind($0) == .insert } ?? false
        }
    }

    private enum Replayed {
        case pipeline([StreamRequest], [StreamResult])
        case cursor(Batch, [CursorEntry])
    }

    /// One recorded exchange file.
    private struct Exchange {
        let name: String
        let json: [String: Any]

        init(file: URL) throws {
            name = file.lastPathComponent
            json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] ?? [:]
        }

        var method: String { json["method"] as? String ?? "" }
        var path: String { json["path"] as? String ?? "" }
        var status: Int { json["status"] as? Int ?? 0 }
        var requestBody: [String: Any] { json["request_body"] as? [String: Any] ?? [:] }
        var responseBody: Any { json["response_body"] ?? NSNull() }

        func data(_ object: Any) throws -> Data {
            try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
        }
    }
}
