import Foundation
import LibSQLClient
import RecordAdapter
import Testing

@Suite struct AssociationTests {
    @Test(arguments: Backend.allCases)
    func loadAndPreload(_ backend: Backend) async throws {
        try await withConnection(backend) { db, server in
            let users = try await User.insertAll((1...5).map { User(name: "u\($0)", email: "u\($0)@x") }, on: db)
            var posts: [Post] = []
            for user in users.prefix(3) {
                for index in 1...2 { posts.append(Post(userId: user.id!, title: "\(user.name) #\(index)")) }
            }
            posts = try await Post.insertAll(posts, on: db)
            try await Profile.create(Profile(userId: users[0].id!, bio: "first"), on: db)

            #expect(try await Post.author.load(for: posts[0], on: db) == users[0])
            #expect(try await User.posts.load(for: users[1], on: db).map(\.title) == ["u2 #1", "u2 #2"])
            #expect(try await User.posts.query(for: users[1], on: db).order("title DESC").first()?.title == "u2 #2")
            #expect(try await User.profile.load(for: users[0], on: db)?.bio == "first")
            #expect(try await User.profile.load(for: users[1], on: db) == nil)

            let before = server?.requestCount(path: "/v3/pipeline")
            let postsByUser = try await User.posts.preload(for: users, on: db)
            let authors = try await Post.author.preload(for: posts, on: db)
            let profiles = try await User.profile.preload(for: users, on: db)
            if let server, let before {
                // One query per association, however many owners.
                #expect(server.requestCount(path: "/v3/pipeline") - before == 3)
            }
            #expect(postsByUser[users[0]].map(\.title) == ["u1 #1", "u1 #2"])
            #expect(postsByUser[users[4]].isEmpty)
            #expect(posts.allSatisfy { authors[$0]?.id == $0.userId })
            #expect(profiles[users[0]]?.bio == "first")
            #expect(profiles[users[3]] == nil)
            #expect(try await User.posts.preload(for: [], on: db)[users[0]].isEmpty)
        }
    }
}
