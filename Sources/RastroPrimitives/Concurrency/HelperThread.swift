/// One long-lived thread that runs a job while the calling thread runs another, and returns when both are done: the
/// writer splits a commit's CPU work (merging timelines, deriving facts, encoding blocks) over two cores this way,
/// and a reader its decoding. The caller keeps every LMDB call, since it owns the transaction.
public final class HelperThread: Sendable {
    private struct State {
        var job: (() -> Void)? = nil
        var stopping = false
    }

    /// Jobs are not `Sendable`: they borrow the caller's state, which the caller does not touch until ``run(background:foreground:)``
    /// returns, after the job has finished.
    private struct Slot: @unchecked Sendable {
        // @unchecked Sendable: a job is handed over under the monitor and run while its caller waits for it.
        var state = State()
    }

    private let slot = Monitor(Slot())
    private let thread: OwnedThread

    /// A helper thread named `name`, at scheduling priority `nice` (0: the process's own).
    public init(name: String = "rastro-helper", nice: Int32 = 0) {
        let slot = self.slot
        thread = OwnedThread(name: name) {
            if nice > 0 { ThreadPriority.setCurrentThreadNice(nice) }
            while Self.runNextJob(slot) {}
        }
    }

    /// Waits for a job and runs it; `false` when stopping. The job is released before its caller is told it is done:
    /// callers lend closures through `withoutActuallyEscaping`, which checks that none outlives the call.
    private static func runNextJob(_ slot: Monitor<Slot>) -> Bool {
        var job = slot.withLock(when: { $0.state.job != nil || $0.state.stopping }) { slot, _ in
            slot.state.stopping ? nil : slot.state.job
        }
        guard job != nil else { return false }
        job!()
        job = nil
        slot.withLock { $0.state.job = nil }
        return true
    }

    deinit {
        slot.withLock { $0.state.stopping = true }
        thread.join()
    }

    /// Runs `background` on the helper and `foreground` here, and returns when both are done.
    public func run(background: @escaping () -> Void, foreground: () throws -> Void) rethrows {
        slot.withLock { slot in
            precondition(slot.state.job == nil, "the helper thread runs one job at a time")
            slot.state.job = background
        }
        defer { slot.withLock(when: { $0.state.job == nil }) { _, _ in } }
        try foreground()
    }
}
