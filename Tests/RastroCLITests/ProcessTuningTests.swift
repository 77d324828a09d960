import RastroPrimitives
import Synchronization
import Testing

@testable import RastroCLI

@Suite("Process tuning")
struct ProcessTuningTests {
    /// A thread lowers its own priority and no other thread's: the nice value is per thread on Linux, and the import's
    /// parser relies on that to step back without slowing the writer.
    @Test func lowerPriorityAppliesToTheCallingThreadOnly() {
        let caller = ProcessTuning.currentThreadNice()
        let wanted = min(caller + 7, 19)
        let seen = Mutex(Int32(-100))
        let worker = OwnedThread(name: "test-nice") {
            ProcessTuning.setCurrentThreadNice(wanted)
            let nice = ProcessTuning.currentThreadNice()
            seen.withLock { $0 = nice }
        }
        worker.join()
        #expect(seen.withLock { $0 } == wanted)
        #expect(ProcessTuning.currentThreadNice() == caller)
    }
}
