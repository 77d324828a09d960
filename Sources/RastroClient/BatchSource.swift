import RastroCSV
import RastroCore
import Synchronization
import RastroPrimitives

/// The rows to send, read from the files on demand and handed to whichever connection asks next.
final class BatchSource: Sendable {
    struct State {
        var files: [String]
        var current: CSVFileSource? = nil
        var exhausted = false
    }

    private let state: Mutex<State>
    let validator: ScanValidator
    let batchSize: Int
    let statistics: SendStatistics

    init(files: [String], validator: ScanValidator, batchSize: Int, statistics: SendStatistics) {
        state = Mutex(State(files: files))
        self.validator = validator
        self.batchSize = batchSize
        self.statistics = statistics
    }

    /// The next batch of up to `batchSize` validated scans, or `nil` when every file is read. Rows the client cannot
    /// encode are counted as rejected (and reported on standard error by the caller).
    func nextScans() throws -> ScanBatch? {
        try state.withLock { state -> ScanBatch? in
            while !state.exhausted {
                if state.current == nil {
                    guard !state.files.isEmpty else {
                        state.exhausted = true
                        return nil
                    }
                    let path = state.files.removeFirst()
                    do {
                        state.current = try CSVFileSource(path: path, validator: validator)
                    } catch {
                        throw SendFailure("\(error)")
                    }
                }
                var batch = ScanBatch(reservingScans: batchSize)
                var rejects: [CSVRejection] = []
                let more: Bool
                do {
                    more = try state.current!.next(maximumScans: batchSize, receivedAt: wallMilliseconds(), into: &batch, rejects: &rejects)
                } catch {
                    throw SendFailure("\(state.current!.path): \(error)")
                }
                statistics.addRejectedLocally(rejects.count)
                if !more { state.current = nil }
                if !batch.isEmpty { return batch }
            }
            return nil
        }
    }

    /// The next chunk of up to `batchSize` raw CSV records (without the header) and the header, or `nil`.
    func nextRows() throws -> (header: [UInt8], rows: [UInt8], count: Int)? {
        try state.withLock { state -> (header: [UInt8], rows: [UInt8], count: Int)? in
            while !state.exhausted {
                if state.current == nil {
                    guard !state.files.isEmpty else {
                        state.exhausted = true
                        return nil
                    }
                    do { state.current = try CSVFileSource(path: state.files.removeFirst(), validator: validator) } catch {
                        throw SendFailure("\(error)")
                    }
                }
                do {
                    if let chunk = try state.current!.nextRawRecords(maximum: batchSize) { return chunk }
                } catch {
                    throw SendFailure("\(state.current!.path): \(error)")
                }
                state.current = nil
            }
            return nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

func wallMilliseconds() -> Int64 { SystemClock.wallMilliseconds }

func monotonicSeconds() -> Double { SystemClock.monotonicSeconds }
