import Foundation
import LibSQLClient
import RecordAdapter
import Testing

@Suite struct BulkWriteTests {
    @Test(arguments: Backend.allCases)
    func insertAllAndUpsertAllAreOneStatementWithReturning(_ backend: Backend) async throws {
        try await withConnection(backend) { db, server in
            let stored = try await User.insertAll([
                User(name: "A", email: "a@x", age: 1), User(name: "B", email: "b@x"), User(id: 10, name: "C", email: "c@x"),
            ], on: db)
            #expect(stored.map(\.id) == [1, 2, 10])
            #expect(stored.allSatisfy { $0.createdAt != nil && $0.updatedAt == $0.createdAt })
            #expect(try await User.insertAll([], on: db).isEmpty)

            let before = server?.requestCount(path: "/v3/pipeline")
            let upserted = try await User.upsertAll(
                [User(name: "A renamed", email: "a@x", age: 2), User(name: "D", email: "d@x")], uniqueBy: ["email"],
                onConflict: .update(["name", "age"]), on: db)
            if let server, let before { #expect(server.requestCount(path: "/v3/pipeline") - before == 1) }
            #expect(upserted.map(\.name) == ["A renamed", "D"])
            #expect(upserted.first?.id == 1 && upserted.first?.age == 2)

            let ignored = try await User.upsertAll([User(name: "ignored", email: "b@x"), User(name: "E", email: "e@x")], uniqueBy: ["email"], onConflict: .ignore, on: db)
            #expect(ignored.map(\.name) == ["E"])
            #expect(try await User.findBy(["email": "b@x"], on: db)?.name == "B")

            let replaced = try await User.upsertAll([User(id: 10, name: "C2", email: "c2@x")], on: db)
            #expect(replaced.map(\.email) == ["c2@x"])
            #expect(try await User.count(on: db) == 5)

            // A constraint failure in one row fails the whole statement: nothing is inserted.
            await expectRecordError(.recordNotUnique) {
                try await User.insertAll([User(name: "F", email: "f@x"), User(name: "dup", email: "a@x")], on: db)
            }
            #expect(try await User.findBy(["email": "f@x"], on: db) == nil)
        }
    }
}
