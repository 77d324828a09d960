import Benchmark
import RastroCSV
import RastroCore
import RastroGenerator
import RastroStore

#if canImport(Glibc)
import Glibc
import RastroPrimitives
#endif

/// A realistic stream, generated once: 200,000 rows as CSV bytes, and the same rows parsed into batches of 1,000.
nonisolated(unsafe) let stream: (csv: [UInt8], rows: Int, batches: [ScanBatch]) = {
    let generator = ScanGenerator(GeneratorConfiguration(scans: 200_000, seed: 42))
    var csv: [UInt8] = []
    var rows = 0
    generator.generate { kind, line in
        csv.append(contentsOf: line)
        if kind != nil { rows += 1 }
    }
    let reader = CSVScanReader(validator: ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!))
    var batches: [ScanBatch] = []
    var offset = 0
    csv.withUnsafeBytes { all in
        while offset < all.count {
            var batch = ScanBatch(reservingScans: 1_000)
            var rejects: [CSVRejection] = []
            offset += try! reader.read(
                UnsafeRawBufferPointer(rebasing: all[offset...]), isFinal: true, receivedAt: 1_798_675_200_000,
                maximumScans: 1_000, into: &batch, rejects: &rejects)
            if !batch.isEmpty { batches.append(batch) }
        }
    }
    return (csv, rows, batches)
}()

func temporaryDirectory() -> String {
    var template = Array("/tmp/rastro-bench-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

let benchmarks: @Sendable () -> Void = {
    let perRow: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .instructions, .cpuTotal]

    // Thresholds are on allocations, which are exact on any machine; times are reported, never gated (the machines
    // are shared and noisy).
    Benchmark(
        "CSV parse and validate (per row)",
        configuration: .init(
            metrics: perRow, scalingFactor: .kilo, maxDuration: .seconds(3),
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 1])])
    ) { benchmark in
        // 1,000 rows per iteration from a rolling offset into the stream; the batch keeps its capacity.
        let reader = CSVScanReader(validator: ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!))
        var batch = ScanBatch(reservingScans: 2_000)
        var rejects: [CSVRejection] = []
        var offset = 0
        stream.csv.withUnsafeBytes { all in
            // Skip the header once.
            offset = try! reader.read(UnsafeRawBufferPointer(rebasing: all[0..<100]), isFinal: false, receivedAt: 0, maximumScans: 0, into: &batch, rejects: &rejects)
            benchmark.startMeasurement()
            for _ in 0..<benchmark.scaledIterations.count / 1_000 {
                batch.removeAll()
                rejects.removeAll(keepingCapacity: true)
                if offset >= all.count - 200_000 { offset = 75 }
                offset += try! reader.read(
                    UnsafeRawBufferPointer(rebasing: all[offset...]), isFinal: true, receivedAt: 1_798_675_200_000,
                    maximumScans: 1_000, into: &batch, rejects: &rejects)
                blackHole(batch.count)
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark(
        "Store ingest, 1,000-scan durable commits (per scan)",
        configuration: .init(
            metrics: perRow, scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: stream.batches.count,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 4])])
    ) { benchmark in
        // Each iteration commits the next 1,000 scans of the stream into one growing store.
        let directory = temporaryDirectory()
        let store = try! Store(directory: directory)
        var next = 0
        benchmark.startMeasurement()
        for _ in 0..<benchmark.scaledIterations.count / 1_000 {
            blackHole(try! store.ingest(stream.batches[next % stream.batches.count]).accepted)
            next += 1
        }
        benchmark.stopMeasurement()
        _ = system("rm -rf '\(directory)'")
    }

    // Trace blocks: one iteration encodes or decodes one whole block of 256 items (the number of scans is in the
    // name: divide by it for the cost per scan).
    let block = sampleBlock
    Benchmark(
        "Trace block encode (256 items, \(block.scans.count) scans)",
        configuration: .init(metrics: perRow, thresholds: [.mallocCountTotal: .init(absolute: [.p90: 30])])
    ) { benchmark in
        let output = ByteWriter(reservingCapacity: 1 << 20)
        let scratch = ByteWriter(reservingCapacity: 1 << 20)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            block.encode(into: output, scratch: scratch, zstd: nil)
            blackHole(output.count)
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Trace block decode (256 items, \(block.scans.count) scans)",
        configuration: .init(metrics: perRow, thresholds: [.mallocCountTotal: .init(absolute: [.p90: 30])])
    ) { benchmark in
        let output = ByteWriter(reservingCapacity: 1 << 20)
        block.encode(into: output, scratch: ByteWriter(), zstd: nil)
        let encoded = output.bytes
        var decoded = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        let zstd = Zstd()
        encoded.withUnsafeBytes { try! decoded.decode($0, number: block.number, zstd: zstd, scratch: &scratch) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            encoded.withUnsafeBytes { try! decoded.decode($0, number: block.number, zstd: zstd, scratch: &scratch) }
            blackHole(decoded.scans.count)
        }
        benchmark.stopMeasurement()
    }

    // The writer sorts a commit's packed `item << 32 | index` keys (250,000 per commit): the standard library's
    // comparison sort and ``RadixSort`` side by side, on the same keys; one iteration sorts all 250,000.
    let packed = packedKeys
    Benchmark(
        "Sort 250,000 packed keys, Array.sort",
        configuration: .init(metrics: perRow, maxDuration: .seconds(3))
    ) { benchmark in
        var keys = packed
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            keys = packed
            keys.sort()
            blackHole(keys[0])
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Sort 250,000 packed keys, RadixSort",
        // No allocation threshold here: at milliseconds per iteration the count includes the harness's own sampling
        // thread (~5 allocations per ms); `--allocation-stacks` shows the sort's own: one, its digit counts.
        configuration: .init(metrics: perRow, maxDuration: .seconds(3))
    ) { benchmark in
        // Storage of its own from the start, so that refilling it never copies.
        var keys = [UInt64](repeating: 0, count: packed.count)
        var scratch = [UInt64](repeating: 0, count: packed.count)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            keys.withUnsafeMutableBufferPointer { target in
                packed.withUnsafeBufferPointer { _ = target.update(fromContentsOf: $0) }
            }
            RadixSort.sort(&keys, scratch: &scratch)
            blackHole(keys[0])
        }
        benchmark.stopMeasurement()
    }
}

/// A commit's worth of packed writer keys: 250,000 scans of ~60,000 items among 2 million ids, in arrival order.
nonisolated(unsafe) let packedKeys: [UInt64] = {
    var state: UInt64 = 42
    return (0..<250_000).map { index in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let item = 1_900_000 + (state >> 33) % 60_000
        return item << 32 | UInt64(index)
    }
}()

/// A trace block as the store holds it after importing the stream: the 256 items of block 100.
nonisolated(unsafe) let sampleBlock: TraceBlock = {
    let directory = temporaryDirectory()
    defer { _ = system("rm -rf '\(directory)'") }
    let store = try! Store(directory: directory)
    for batch in stream.batches { _ = try! store.ingest(batch) }
    return try! store.read { try $0.block(containing: 100 << TraceBlock.itemShift)! }
}()
