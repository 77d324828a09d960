// swift-tools-version: 6.1
import PackageDescription

// Rastro: a scan-tracking core for courier and document-logistics operations.
//
// The module graph mirrors the architecture (see docs/storage.md):
//   CLMDB, CZstd        C system libraries, imported only by RastroStore.
//   RastroPrimitives    the fenced module: threads and locks (every pthread call checked), the hand-written hash
//                       tables, the radix sort, SWAR byte scanning, cache touching, byte readers and writers;
//                       invariants asserted in debug.
//   RastroCore          domain: scans, events, identifiers, time, catalogs, limits.
//   RastroCSV           the CSV dialect, on bytes, into scan batches.
//   RastroStore         LMDB environment, compact encodings, indexes, ingest and reads.
//   RastroGenerator     deterministic, realistic scan streams.
//   RastroImport        a CSV file into a store: a parser thread feeding the writer (rastro import; any file front end).
//   RastroProtocol      the binary wire protocol: frames, handshake, batches, acks (no I/O).
//   RastroAccess        tokens: creation, hashing, verification.
//   RastroServer        `rastrod`: SwiftNIO listeners, HTTP, the group-commit writer, metrics, lifecycle.
//   RastroClient        `rastro send`: a handheld's client, reconnecting and resending.
//   RastroCLI           the `rastro` commands; the executables are thin shells.
/// The ingest path's modules skip the run-time exclusivity checks in release builds: their accesses are to
/// single-threaded writer state, the static checks still run, and the dynamic ones cost ~10 % of import CPU
/// (measured with perf: swift_beginAccess, AccessSet::insert and the TLS lookups they make). Debug builds keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "rastro",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rastro", targets: ["rastro"]),
        .executable(name: "rastrod", targets: ["rastrod"]),
        .library(name: "RastroStore", targets: ["RastroStore"]),
        .library(name: "RastroAnalytics", targets: ["RastroAnalytics"]),
        .library(name: "RastroCSV", targets: ["RastroCSV"]),
        .library(name: "RastroGenerator", targets: ["RastroGenerator"]),
        .library(name: "RastroProtocol", targets: ["RastroProtocol"]),
        .library(name: "RastroPrimitives", targets: ["RastroPrimitives"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
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
        .target(name: "RastroPrimitives", swiftSettings: hotPath),
        .target(name: "RastroCore", dependencies: ["RastroPrimitives"], swiftSettings: hotPath),
        .target(name: "RastroCSV", dependencies: ["RastroPrimitives", "RastroCore"], swiftSettings: hotPath),
        .target(
            name: "RastroStore",
            dependencies: [
                "RastroPrimitives", "RastroCore", "CLMDB", "CZstd", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: hotPath),
        .target(name: "RastroAnalytics", dependencies: ["RastroPrimitives", "RastroCore", "RastroStore"]),
        .target(name: "RastroQueries", dependencies: ["RastroCore", "RastroCSV", "RastroStore", "RastroAnalytics"]),
        .target(name: "RastroDashboard", dependencies: ["RastroCore", "RastroStore", "RastroQueries"]),
        .target(name: "RastroProtocol", dependencies: ["RastroPrimitives", "RastroCore"], swiftSettings: hotPath),
        .target(
            name: "RastroAccess",
            dependencies: ["RastroCore", "RastroStore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "RastroServer",
            dependencies: [
                "RastroPrimitives", "RastroCore", "RastroCSV", "RastroStore", "RastroProtocol", "RastroAccess", "RastroQueries",
                "RastroDashboard", "RastroImport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "RastroClient",
            dependencies: [
                "RastroPrimitives", "RastroCore", "RastroCSV", "RastroProtocol",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(name: "RastroGenerator", dependencies: ["RastroPrimitives", "RastroCore"]),
        .target(name: "RastroImport", dependencies: ["RastroPrimitives", "RastroCore", "RastroCSV", "RastroStore"]),
        .target(
            name: "RastroCLI",
            dependencies: [
                "RastroPrimitives", "RastroCore", "RastroCSV", "RastroStore", "RastroImport", "RastroAnalytics", "RastroGenerator",
                "RastroAccess", "RastroClient", "RastroServer", "RastroQueries", "RastroDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "rastro", dependencies: ["RastroCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "rastrod", dependencies: ["RastroCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(
            name: "RastroTestSupport",
            dependencies: ["RastroPrimitives", "RastroCore", "RastroCSV", "RastroStore", "RastroGenerator"],
            path: "Tests/RastroTestSupport"
        ),
        .testTarget(name: "RastroPrimitivesTests", dependencies: ["RastroPrimitives"]),
        .testTarget(name: "RastroCoreTests", dependencies: ["RastroPrimitives", "RastroCore", "RastroGenerator"]),
        .testTarget(name: "RastroCSVTests", dependencies: ["RastroCSV", "RastroGenerator"]),
        .testTarget(name: "RastroStoreTests", dependencies: ["RastroPrimitives", "RastroStore", "RastroCSV", "RastroGenerator", "RastroTestSupport"]),
        .testTarget(name: "RastroImportTests", dependencies: ["RastroImport", "RastroStore", "RastroTestSupport"]),
        .testTarget(name: "RastroGeneratorTests", dependencies: ["RastroGenerator", "RastroCSV", "RastroTestSupport"]),
        .testTarget(
            name: "RastroCLITests", dependencies: ["RastroCLI", "RastroQueries", "RastroStore", "RastroImport", "RastroPrimitives", "RastroTestSupport"]),
        .testTarget(name: "RastroAnalyticsTests", dependencies: ["RastroAnalytics", "RastroGenerator", "RastroTestSupport", "RastroCLI"]),
        .testTarget(name: "RastroProtocolTests", dependencies: ["RastroProtocol", "RastroTestSupport"]),
        .testTarget(
            name: "RastroServerTests",
            dependencies: ["RastroServer", "RastroQueries", "RastroClient", "RastroAccess", "RastroTestSupport", "RastroCLI", "RastroDashboard"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
