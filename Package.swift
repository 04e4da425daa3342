// swift-tools-version:6.1
import PackageDescription

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
        .executableTarget(name: "embed-files", path: "Sources/embed-files"),
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
            ]),
        // Benchmark helpers (scripts/bench.sh); not part of the product.
        .executableTarget(
            name: "sacral-bench",
            dependencies: [
                "SacralEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "LuaKitTests", dependencies: ["LuaKit"]),
        .testTarget(name: "SacralEngineTests", dependencies: ["SacralEngine"]),
    ],
    swiftLanguageModes: [.v6]
)
