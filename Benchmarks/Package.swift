// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package (as swift-nio's do) so that `make test` never builds package-benchmark.
// Run them with `make bench-micro` (or `swift package benchmark` in this directory).
let package = Package(
    name: "benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "rastro", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "IngestBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RastroCSV", package: "rastro"),
                .product(name: "RastroStore", package: "rastro"),
                .product(name: "RastroGenerator", package: "rastro"),
            ],
            path: "Benchmarks/IngestBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AnalyticsBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RastroAnalytics", package: "rastro"),
                .product(name: "RastroCSV", package: "rastro"),
                .product(name: "RastroStore", package: "rastro"),
                .product(name: "RastroGenerator", package: "rastro"),
            ],
            path: "Benchmarks/AnalyticsBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
