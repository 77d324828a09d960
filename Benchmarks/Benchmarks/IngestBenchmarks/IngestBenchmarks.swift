import Benchmark
import RastroCSV
import RastroCore
import RastroGenerator
import RastroStore

#if canImport(Glibc)
import Glibc
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
}

/// A trace block as the store holds it after importing the stream: the 256 items of block 100.
nonisolated(unsafe) let sampleBlock: TraceBlock = {
    let directory = temporaryDirectory()
    defer { _ = system("rm -rf '\(directory)'") }
    let store = try! Store(directory: directory)
    for batch in stream.batches { _ = try! store.ingest(batch) }
    return try! store.read { try $0.block(containing: 100 << TraceBlock.itemShift)! }
}()
