import Foundation
import LibSQLClient
import RecordAdapter
import Testing

struct Member: Model, Equatable {
    static let tableName = "users"
    static let validations: [Validation<Member>] = [
        .presence("name"),
        .length("name", in: 2...20),
        .format("email", #"^[^@\s]+@[^@\s]+\.[a-z]+$"#),
        .uniqueness("email"),
        .numericality("age", greaterThanOrEqualTo: 0, lessThan: 150, onlyInteger: true, allowNil: true),
        .inclusion("role", in: ["admin", "member"], allowNil: true),
        .custom { member, errors in if member.name.lowercased() == "root" { errors.add("name", "is reserved") } },
    ]
    var id: Int64?
    var name: String
    var email: String
    var age: Int?
    var role: String?
}

@Suite struct ValidationTests {
    @Test(arguments: Backend.allCases)
    func invalidRecordsAreNotSaved(_ backend: Backend) async throws {
        try await withConnection(backend) { db, server in
            let valid = try await Member.create(Member(name: "Alice", email: "alice@example.com", age: 30, role: "admin"), on: db)
            #expect(valid.id != nil)

            let before = server?.requestCount(path: "/v3/pipeline")
            let error = await expectRecordError(.recordInvalid) {
                try await Member.create(Member(name: " ", email: "not-an-email", age: -3, role: "owner"), on: db)
            }
            let errors = try #require(error?.validationErrors)
            #expect(errors["name"] == ["can't be blank", "is too short (minimum is 2 characters)"])
            #expect(errors["email"] == ["is invalid"])
            #expect(errors["age"] == ["must be greater than or equal to 0"])
            #expect(errors["role"] == ["is not included in the list"])
            #expect(errors.fullMessages.contains("email is invalid"))
            if let server, let before {
                // Only the uniqueness check's SELECT went out; no INSERT.
                #expect(server.requestCount(path: "/v3/pipeline") - before == 1)
            }
            #expect(try await Member.count(on: db) == 1)

            let duplicate = await expectRecordError(.recordInvalid) {
                try await Member.create(Member(name: "Alicia", email: "alice@example.com"), on: db)
            }
            #expect(duplicate?.validationErrors?["email"] == ["has already been taken"])
            await expectRecordError(.recordInvalid) { try await Member.create(Member(name: "root", email: "r@example.com"), on: db) }
            await expectRecordError(.recordInvalid) { try await Member.create(Member(name: "Ok", email: "ok@example.com", age: 151), on: db) }

            // Updating a record does not collide with itself.
            var alice = valid
            try await alice.update(on: db) { $0.age = 31 }
            #expect(try await alice.isValid(on: db))
            await expectRecordError(.recordInvalid) { try await alice.update(on: db) { $0.name = "A" } }
            #expect(try await Member.find(valid.id!, on: db).name == "Alice")
        }
    }
}
