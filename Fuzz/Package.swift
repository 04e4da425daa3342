// swift-tools-version:6.1
// A libFuzzer target for sacral, kept out of the main package so that ordinary builds never need
// the fuzzer runtime. Built and run by scripts/fuzz.sh:
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
import PackageDescription

let package = Package(
    name: "sacral-fuzz",
    dependencies: [.package(name: "sacral", path: "..")],
    targets: [
        .executableTarget(
            name: "sacral-fuzz",
            dependencies: [.product(name: "SacralEngine", package: "sacral")]),
    ],
    swiftLanguageModes: [.v6]
)
