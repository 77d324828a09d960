// swift-tools-version: 6.1
import PackageDescription

// Fuzz targets live in their own package so that `swift build` of Rastro never links a libFuzzer entry point.
// `make fuzz` builds this with `-sanitize=fuzzer,address` (coverage-guided libFuzzer and AddressSanitizer, both in
// the Swift toolchain) and runs every target on its corpus under `Fuzz/corpus/`.
let package = Package(
    name: "fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "rastro", path: "../")],
    targets: [
        .executableTarget(
            name: "RastroFuzz",
            dependencies: [
                .product(name: "RastroCSV", package: "rastro"),
                .product(name: "RastroStore", package: "rastro"),
                .product(name: "RastroProtocol", package: "rastro"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
