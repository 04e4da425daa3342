// swift-tools-version:6.1
import Foundation
import PackageDescription

// SACRAL_CORE_ONLY=1 builds the engine and the CLI without the server (`sacral serve`, the decision
// log, replay) and its heavy dependencies (Hummingbird, SwiftNIO, jwt-kit, SQLKit drivers): the
// AddressSanitizer and fuzz builds use it so that CI stays short.
let coreOnly = ProcessInfo.processInfo.environment["SACRAL_CORE_ONLY"] == "1"

let package = Package(
    name: "sacral",
    products: [
        .executable(name: "sacral", targets: ["sacral"]),
        .library(name: "SacralEngine", targets: ["SacralEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // Debian's liblua5.4-dev, found through pkg-config.
        .systemLibrary(
            name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev", "pkg-config"])]),
        // Everything that may raise a Lua error (longjmp) lives here, never in a Swift frame.
        .target(name: "CLuaShims", dependencies: ["CLua"]),
        .target(name: "LuaKit", dependencies: ["CLua", "CLuaShims"]),
        // Writes the shipped Rules/ and the Lua runtime into the binary as Swift source.
        // Compiles them to Lua bytecode too, with the same liblua5.4 (CLua) the engine links.
        .executableTarget(name: "embed-files", dependencies: ["CLua"], path: "Sources/embed-files"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        .target(
            name: "SacralEngine",
            dependencies: [
                "LuaKit",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Runtime", "Page"],
            plugins: ["EmbedFiles"]),
        .executableTarget(
            name: "sacral",
            dependencies: [
                "SacralEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + (coreOnly ? [] : ["SacralServer"])),
        // Benchmark helpers (scripts/bench.sh); not part of the product.
        .executableTarget(
            name: "sacral-bench",
            dependencies: [
                "SacralEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "LuaKitTests", dependencies: ["LuaKit"]),
        // Yams: the case decoder's reading of plain scalars is checked against Yams' own resolver;
        // Crypto: the ruleset hash against a SHA-256 computed apart.
        .testTarget(
            name: "SacralEngineTests",
            dependencies: [
                "SacralEngine", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

if !coreOnly {
    package.dependencies += [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.0"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ]
    package.products.append(.library(name: "SacralServer", targets: ["SacralServer"]))
    package.targets += [
        // `sacral serve`: the REST API and CDS Hooks service, its security, pool and decision log.
        .target(
            name: "SacralServer",
            dependencies: [
                "SacralEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]),
        // The server's parts that a black-box client cannot see (Tests/python plays the client).
        .testTarget(name: "SacralServerTests", dependencies: ["SacralServer", "SacralEngine"]),
    ]
}
