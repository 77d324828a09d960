#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RastroCore
import RastroServer
import RastroStore
import RastroTestSupport
import Testing

/// A data directory on a real filesystem that fills up (a small tmpfs): commits fail with "no space left on device",
/// `/healthz` is unhealthy while they do and healthy again once space is freed, and every acknowledged scan is kept.
@Suite(.serialized)
struct DiskFullTests {
    /// Mounting a filesystem needs CAP_SYS_ADMIN: root, as `make test` runs in CI.
    static let canMount = geteuid() == 0

    /// A tmpfs of `megabytes` mounted on a new directory for the life of `body`.
    static func withSmallFilesystem<Result>(megabytes: Int, _ body: (String) async throws -> Result) async throws -> Result {
        let directory = TemporaryDirectory()
        let mountPoint = directory.path + "/fs"
        #expect(mkdir(mountPoint, 0o700) == 0)
        let mounted = mount("tmpfs", mountPoint, "tmpfs", 0, "size=\(megabytes)m,mode=0700")
        try #require(mounted == 0, "mount tmpfs: \(String(cString: strerror(errno)))")
        do {
            let result = try await body(mountPoint)
            umount2(mountPoint, Int32(MNT_DETACH))
            return result
        } catch {
            umount2(mountPoint, Int32(MNT_DETACH))
            throw error
        }
    }

    /// Writes zeros to `path` until the filesystem refuses more.
    static func fill(_ path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(descriptor >= 0)
        let chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var size = chunk.count
        while size >= 512 {
            let written = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, size) }
            if written <= 0 { size /= 2 }
        }
        close(descriptor)
    }

    static func get(_ port: Int, _ path: String) async throws -> [String] {
        let connection = try await RawConnection(port: port)
        try await connection.send(Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8))
        var lines: [String] = []
        while let line = try await connection.line() { lines.append(line) }
        return lines
    }

    @Test(.enabled(if: canMount, "mounting a small filesystem needs root"))
    func commitsFailWithNoSpaceLeftAndRecoverWithNothingAckedLost() async throws {
        try await Self.withSmallFilesystem(megabytes: 16) { mountPoint in
            let harness = try await ServerHarness(dataDirectory: mountPoint + "/data")
            let token = try harness.token(.gateway, "gw")
            let rows = StreamFixtures.generated(scans: 30_000, seed: 21).clean
            let batches = stride(from: 0, to: rows.count, by: 500).map { Array(rows[$0..<min($0 + 500, rows.count)]) }
            func post(_ batch: [String]) async throws -> [String] {
                try await RawConnection.post(
                    port: harness.ports.http, authorization: "Bearer \(token)",
                    body: ([StreamFixtures.header] + batch).joined(separator: "\n") + "\n")
            }
            /// Sends a batch as a client does while there is room: again when the connection ends without an answer
            /// (a suite running beside it can starve the server past its request deadline); resends are duplicates.
            func postUntilAnswered(_ batch: [String]) async throws -> [String] {
                var answer: [String] = []
                for _ in 0..<3 {
                    answer = try await post(batch)
                    if !answer.isEmpty { break }
                }
                return answer
            }
            var acked = 0
            var next = 0
            // A few commits, then a full filesystem: commits go on reusing the file's free pages until one needs to grow
            // it, and that one fails.
            for _ in 0..<3 {
                let answer = try await postUntilAnswered(batches[next])
                #expect(answer.first == "HTTP/1.1 200 OK\r", "\(answer)")
                acked += batches[next].count
                next += 1
            }
            Self.fill(mountPoint + "/filler")
            var failed: [String]? = nil
            while next < batches.count {
                let answer = try await postUntilAnswered(batches[next])
                if answer.first == "HTTP/1.1 200 OK\r" {
                    acked += batches[next].count
                    next += 1
                    continue
                }
                failed = answer
                break
            }
            let answer = try #require(failed, "every commit fitted")
            #expect(answer.first == "HTTP/1.1 503 Service Unavailable\r")
            #expect(answer.last?.contains("no space left on device") == true, "\(answer)")
            let health = try await Self.get(harness.ports.http, "/healthz")
            #expect(health.first == "HTTP/1.1 503 Service Unavailable\r")
            #expect(health.last?.contains("commits are failing: no space left on device") == true, "\(health)")
            #expect(harness.server.metrics.exposition().contains("rastro_commits_failing 1"))

            // Space freed: the refused batch and the rest are stored, and the server is healthy again.
            #expect(unlink(mountPoint + "/filler") == 0)
            while next < batches.count {
                let answer = try await postUntilAnswered(batches[next])
                #expect(answer.first == "HTTP/1.1 200 OK\r", "\(answer)")
                acked += batches[next].count
                next += 1
            }
            #expect(try await Self.get(harness.ports.http, "/healthz").first == "HTTP/1.1 200 OK\r")
            #expect(harness.server.metrics.exposition().contains("rastro_commits_failing 0"))
            try await harness.stop()

            let store = try Store(directory: mountPoint + "/data", create: false, readOnly: true)
            #expect(acked == rows.count)
            #expect(try store.counters().accepted == UInt64(rows.count))
            let verification = try store.verify()
            #expect(verification.isClean, "\(verification.problems)")
        }
    }
}
