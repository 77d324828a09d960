@testable import RastroServer
import Testing

/// The read API's admission: a token's rate, the reads running, and the exports among them.
struct ReadAPILimiterTests {
    @Test func exportsHaveSlotsOfTheirOwnWithinTheReads() {
        var limits = ServerLimits()
        limits.concurrentReads = 3
        limits.concurrentExports = 1
        limits.readBurst = 100
        let limiter = ReadAPILimiter(limits: limits)
        #expect(limiter.begin(token: 1, now: 0, export: true) == nil)
        #expect(limiter.begin(token: 2, now: 0, export: true) == .exportsBusy)
        // A report still gets in beside the running export, up to the reads' bound.
        #expect(limiter.begin(token: 2, now: 0) == nil)
        #expect(limiter.begin(token: 3, now: 0) == nil)
        #expect(limiter.begin(token: 4, now: 0) == .busy)
        limiter.finished(export: true)
        #expect(limiter.begin(token: 2, now: 0, export: true) == nil)
    }

    @Test func aTokenSpendsItsBurstThenItsRate() {
        var limits = ServerLimits()
        limits.readsPerSecond = 2
        limits.readBurst = 3
        let limiter = ReadAPILimiter(limits: limits)
        for _ in 0..<3 {
            #expect(limiter.begin(token: 9, now: 1_000) == nil)
            limiter.finished()
        }
        #expect(limiter.begin(token: 9, now: 1_000) == .rate(retryAfterSeconds: 1))
        #expect(limiter.begin(token: 8, now: 1_000) == nil, "another token has its own budget")
        limiter.finished()
        #expect(limiter.begin(token: 9, now: 1_500) == nil, "half a second refills one read at 2 per second")
    }
}
