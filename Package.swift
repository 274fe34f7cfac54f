// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-libsql",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "Hrana", targets: ["Hrana"]),
        .library(name: "LibSQLClient", targets: ["LibSQLClient"]),
        .library(name: "Replica", targets: ["Replica"]),
        .library(name: "RecordAdapter", targets: ["RecordAdapter"]),
        .library(name: "LibSQLServer", targets: ["LibSQLServer"]),
        .executable(name: "libsql", targets: ["libsql"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // Layer 1: the wire protocol, Foundation only.
        .target(name: "Hrana"),

        // Shared system pieces: SQLite and zlib.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SQLiteCore", dependencies: ["CSQLite", "Hrana"]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Gzip", dependencies: ["CZlib"]),

        // Layer 2: the client.
        .target(
            name: "LibSQLClient",
            dependencies: [
                "Hrana", "SQLiteCore", "Gzip",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        // Layer 3: embedded replicas.
        .target(
            name: "Replica",
            dependencies: [
                "LibSQLClient", "SQLiteCore", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Layer 4: records, migrations, schema.
        .target(
            name: "RecordAdapter",
            dependencies: ["LibSQLClient", "Replica", "SQLiteCore", .product(name: "Logging", package: "swift-log"), "Yams"]
        ),
        // Layer 5: the local libSQL-compatible server.
        .target(
            name: "LibSQLServer",
            dependencies: [
                "Hrana", "SQLiteCore", "Gzip",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "libsql",
            dependencies: [
                "LibSQLClient", "LibSQLServer", "Replica", "Hrana", "RecordAdapter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Recorded protocol exchanges shared by every layer's replay tests.
        .target(
            name: "Fixtures", path: "Tests/Fixtures",
            exclude: ["README.md"],
            resources: [.copy("hrana-test-server"), .copy("sqld-snapshots"), .copy("recorded"), .copy("fuzz")]
        ),
        // A fault-injecting loopback TCP proxy for the client's and the replica's network tests.
        .target(name: "FaultProxy", path: "Tests/FaultProxy"),
        // A swift-log handler that keeps what was logged, for the tests that check log lines.
        .target(name: "LogCapture", dependencies: [.product(name: "Logging", package: "swift-log")], path: "Tests/LogCapture"),
        // A TLS-terminating loopback proxy with test-CA certificates, for the client's and the replica's TLS tests.
        .target(
            name: "TLSProxy",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TLSProxy",
            resources: [.copy("TLSFixtures")]
        ),
        // A small blog on the record layer: `swift run BlogExample`.
        .executableTarget(name: "BlogExample", dependencies: ["RecordAdapter", "LibSQLServer"], path: "Examples/Blog"),
        // Release-mode micro-benchmarks, run with `swift run -c release <name>`.
        .executableTarget(name: "HranaBenchmark", dependencies: ["Hrana"], path: "Benchmarks/HranaBenchmark"),

        .testTarget(name: "HranaTests", dependencies: ["Hrana", "Fixtures"]),
        .testTarget(name: "SQLiteCoreTests", dependencies: ["SQLiteCore", "Hrana"]),
        .testTarget(name: "LibSQLServerTests", dependencies: ["LibSQLServer", "Hrana", "SQLiteCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), "Gzip", "Fixtures",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket")]),
        .testTarget(
            name: "LibSQLClientTests",
            dependencies: ["LibSQLClient", "LibSQLServer", "Hrana", "SQLiteCore", "Fixtures", "FaultProxy", "TLSProxy", "LogCapture",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl")]
        ),
        .testTarget(
            name: "ReplicaTests",
            dependencies: ["Replica", "LibSQLClient", "LibSQLServer", "SQLiteCore", "CSQLite", "Fixtures", "FaultProxy", "TLSProxy", "LogCapture"]
        ),
        .testTarget(
            name: "RecordAdapterTests", dependencies: ["RecordAdapter", "LibSQLClient", "LibSQLServer", "LogCapture", "TLSProxy"],
            resources: [.copy("Recorded")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
