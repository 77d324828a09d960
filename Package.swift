// swift-tools-version: 6.1
import PackageDescription

// Rastro: a scan-tracking core for courier and document-logistics operations.
//
// The module graph mirrors the architecture (see docs/storage.md):
//   CLMDB, CZstd        C system libraries, imported only by RastroStore.
//   RastroCore          domain: scans, events, identifiers, time, catalogs, limits.
//   RastroCSV           the CSV dialect, on bytes, into scan batches.
//   RastroStore         LMDB environment, compact encodings, indexes, ingest and reads.
//   RastroGenerator     deterministic, realistic scan streams.
//   RastroCLI           the `rastro` commands; the executables are thin shells.
let package = Package(
    name: "rastro",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rastro", targets: ["rastro"]),
        .library(name: "RastroStore", targets: ["RastroStore"]),
        .library(name: "RastroCSV", targets: ["RastroCSV"]),
        .library(name: "RastroGenerator", targets: ["RastroGenerator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(name: "RastroCore"),
        .target(name: "RastroCSV", dependencies: ["RastroCore"]),
        .target(name: "RastroStore", dependencies: ["RastroCore", "CLMDB", "CZstd"]),
        .target(name: "RastroGenerator", dependencies: ["RastroCore"]),
        .target(
            name: "RastroCLI",
            dependencies: [
                "RastroCore", "RastroCSV", "RastroStore", "RastroGenerator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "rastro", dependencies: ["RastroCLI"]),
        .target(
            name: "RastroTestSupport",
            dependencies: ["RastroCore", "RastroCSV", "RastroStore", "RastroGenerator"],
            path: "Tests/RastroTestSupport"
        ),
        .testTarget(name: "RastroCoreTests", dependencies: ["RastroCore"]),
        .testTarget(name: "RastroCSVTests", dependencies: ["RastroCSV"]),
        .testTarget(name: "RastroStoreTests", dependencies: ["RastroStore", "RastroCSV", "RastroGenerator", "RastroTestSupport"]),
        .testTarget(name: "RastroGeneratorTests", dependencies: ["RastroGenerator", "RastroCSV", "RastroTestSupport"]),
        .testTarget(name: "RastroCLITests", dependencies: ["RastroCLI", "RastroTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
