import RastroPrimitives
import Synchronization
import Testing

@Suite struct MonitorTests {
    /// A producer and a consumer hand 10,000 values over through a one-slot state: every value arrives once, in order.
    @Test func waitersSeeEveryChange() {
        struct Slot {
            var value: Int? = nil
            var done = false
        }
        let slot = Monitor(Slot())
        let received = Mutex<[Int]>([])
        let consumer = OwnedThread(name: "test-consumer") {
            while let value = slot.withLock(when: { $0.value != nil || $0.done }, { slot, _ -> Int? in
                defer { slot.value = nil }
                return slot.value
            }) {
                received.withLock { $0.append(value) }
            }
        }
        for value in 0..<10_000 {
            slot.withLock(when: { $0.value == nil }) { slot, _ in slot.value = value }
        }
        slot.withLock(when: { $0.value == nil }) { slot, _ in slot.done = true }
        consumer.join()
        #expect(received.withLock { $0 } == Array(0..<10_000))
    }

    /// A wait whose condition never holds ends by its timeout and says so; one whose condition holds does not wait.
    @Test func aTimedWaitSaysWhetherItTimedOut() {
        let monitor = Monitor(0)
        let timedOut = monitor.withLock(when: { $0 > 0 }, timeoutNanoseconds: 1_000_000) { _, timedOut in timedOut }
        #expect(timedOut)
        monitor.withLock { $0 = 1 }
        let satisfied = monitor.withLock(when: { $0 > 0 }, timeoutNanoseconds: 1_000_000) { _, timedOut in timedOut }
        #expect(!satisfied)
    }
}

@Suite struct ThreadTests {
    @Test func aThreadKnowsItselfAndIsJoined() {
        let seen = Mutex<(inside: Bool, identity: UInt)>((false, 0))
        let box = Mutex<OwnedThread?>(nil)
        let started = Monitor(false)
        let thread = OwnedThread(name: "test-thread") {
            started.withLock(when: { $0 }) { _, _ in }
            let inside = box.withLock { $0!.isCurrent }
            seen.withLock { $0 = (inside, ThreadIdentity.current) }
        }
        box.withLock { $0 = thread }
        started.withLock { $0 = true }
        thread.join()
        #expect(seen.withLock { $0.inside })
        #expect(seen.withLock { $0.identity } != ThreadIdentity.current)
        #expect(!thread.isCurrent)
    }

    /// `run` returns only once the background job has finished, every time: 1,000 jobs each add their part while the
    /// caller adds its own, and the totals are exact.
    @Test func theHelperFinishesItsJobBeforeRunReturns() {
        let helper = HelperThread(name: "test-helper")
        var background = 0
        var foreground = 0
        for round in 1...1_000 {
            helper.run(background: { for _ in 0..<round { background += 1 } }, foreground: { foreground += round })
            #expect(background == foreground)
        }
        #expect(background == 500_500)
    }

    /// Shared holders overlap one another but never an exclusive holder.
    @Test func anExclusiveHolderIsAlone() {
        let lock = ReadWriteLock()
        let state = Mutex((shared: 0, exclusive: 0, violations: 0))
        let threads = (0..<4).map { index in
            OwnedThread(name: "test-rw-\(index)") {
                for round in 0..<2_000 {
                    if (round + index) % 5 == 0 {
                        lock.withExclusiveLock {
                            state.withLock { state in
                                if state.shared != 0 || state.exclusive != 0 { state.violations += 1 }
                                state.exclusive += 1
                            }
                            state.withLock { $0.exclusive -= 1 }
                        }
                    } else {
                        lock.withSharedLock {
                            state.withLock { state in
                                if state.exclusive != 0 { state.violations += 1 }
                                state.shared += 1
                            }
                            state.withLock { $0.shared -= 1 }
                        }
                    }
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(state.withLock { $0.violations } == 0)
    }
}
