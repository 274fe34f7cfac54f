import Fixtures
import Foundation
import Hrana
import Testing

/// Every recorded exchange of the reference server decodes, and re-encodes to the recorded JSON.
@Suite("Fixture replay")
struct FixtureReplayTests {
    @Test("the fixture folders hold the documented number of exchanges")
    func fixtureCounts() throws {
        #expect(try Exchange.load("v2").count == 62)
        #expect(try Exchange.load("v3").count == 74)
    }

    @Test("request bodies decode and re-encode to the same JSON value", arguments: Exchange.all)
    func requestRoundTrip(exchange: Exchange) throws {
        guard let body = exchange.requestBody, body != .null else {
            #expect(exchange.path?.contains("pipeline") != true && exchange.path?.contains("cursor") != true)
            return
        }
        let data = try body.data
        let reencoded: Data
        if exchange.isCursor {
            let request = try HranaJSON.decode(CursorRequest.self, from: data)
            reencoded = try HranaJSON.encode(request)
        } else {
            #expect(exchange.isPipeline)
            let request = try HranaJSON.decode(PipelineRequest.self, from: data)
            #expect(request.requests.count == body["requests"]?.arrayValue?.count)
            reencoded = try HranaJSON.encode(request)
        }
        if exchange.number == "059" {
            // The recorded blob argument is unpadded ("AQI"); it decodes, and is sent padded.
            let text = String(decoding: reencoded, as: UTF8.self)
            #expect(text.contains(#""base64":"AQI=""#))
            #expect(try JSONValue.parse(Data(text.replacingOccurrences(of: "AQI=", with: "AQI").utf8)) == body)
        } else {
            #expect(try JSONValue.parse(reencoded) == body, "\(exchange.file)")
        }
    }

    @Test("pipeline responses decode, with one result per request of the same type", arguments: Exchange.all)
    func pipelineResponses(exchange: Exchange) throws {
        guard exchange.isPipeline, exchange.status == 200 else { return }
        let response = try exchange.pipelineResponse()
        let request = try HranaJSON.decode(PipelineRequest.self, from: try #require(exchange.requestBody).data)
        try #require(response.results.count == request.requests.count)
        for (result, sent) in zip(response.results, request.requests) {
            if case .ok(let streamResponse) = result { #expect(streamResponse.type == sent.type) }
        }
        if request.requests.last == .close { #expect(response.baton == nil) } else { #expect(response.baton != nil) }
        #expect(response.baseURL == nil)
        // Re-encoding gives the recorded value apart from the base_url key the reference server leaves out.
        let reencoded = try JSONValue.parse(try HranaJSON.encode(response)).removingKeys(["base_url"])
        #expect(reencoded == exchange.responseBody, "\(exchange.file)")
    }

    @Test("cursor bodies decode through the incremental decoder into the recorded lines", arguments: Exchange.all)
    func cursorBodies(exchange: Exchange) throws {
        guard exchange.isCursor, exchange.status == 200 else { return }
        let body = try #require(exchange.responseBody?.stringValue)
        let lines = try #require(exchange.responseLines)
        let decoded = try CursorBodyDecoder.decode(Data(body.utf8))
        #expect(decoded.header == (try HranaJSON.decode(CursorResponse.self, from: lines[0].data)))
        #expect(decoded.header.baton != nil)
        let expected = try lines.dropFirst().map { try HranaJSON.decode(CursorEntry.self, from: $0.data) }
        #expect(decoded.entries == expected)
        // The entries rebuild a batch result with one slot per step.
        let request = try HranaJSON.decode(CursorRequest.self, from: try #require(exchange.requestBody).data)
        var builder = BatchResultBuilder(stepCount: request.batch.steps.count)
        try builder.add(contentsOf: decoded.entries)
        let result = try builder.finish()
        #expect(result.stepResults.count == request.batch.steps.count)
        #expect(result.stepErrors.count == request.batch.steps.count)
    }

    @Test("twin exchanges have identical request bodies apart from batons")
    func twins() throws {
        let v3 = Dictionary(uniqueKeysWithValues: try Exchange.load("v3").map { ($0.file, $0) })
        var compared = 0
        for exchange in try Exchange.load("v2") {
            guard let twin = v3[exchange.file], let body = exchange.requestBody, body != .null else { continue }
            let strip: (JSONValue) -> JSONValue = { $0.removingKeys(["baton"], ifNull: false) }
            #expect(strip(body) == strip(try #require(twin.requestBody)), "\(exchange.file)")
            compared += 1
        }
        #expect(compared >= 50)
    }
}
