/// A one-line progress bar on standard error: rows, rows/s and, when the size is known, percent and ETA.
final class Progress: @unchecked Sendable {
    // @unchecked Sendable: only the importing thread calls `update` and `finish`; the parser thread never sees it.
    let enabled: Bool
    let started = monotonicSeconds()
    var lastDraw = 0.0

    init(enabled: Bool) { self.enabled = enabled }

    func update(file: String, rows: Int, bytes: Int, size: Int?) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.2 else { return }
        lastDraw = now
        let elapsed = max(now - started, 1e-6)
        let rate = Double(rows) / elapsed
        var line = "\r\(file): \(rows) rows, \(Int(rate)) rows/s"
        if let size, size > 0 {
            let fraction = min(1, Double(bytes) / Double(size))
            let width = 24
            let filled = Int(fraction * Double(width))
            let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
            line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
                + "\(Int(fraction * 100))% ETA \(Int(eta.rounded())) s"
        }
        Console.error(line + "\u{1B}[K")
    }

    func finish() {
        if enabled && lastDraw > 0 { Console.error("\r\u{1B}[K") }
    }
}

extension Progress {
    /// A bar for work counted in steps of a known total (backup bytes, pieces verified or restored).
    func update(_ label: String, done: Int, total: Int, unit: String) {
        guard enabled, total > 0 else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.2 || done == total else { return }
        lastDraw = now
        let fraction = min(1, Double(done) / Double(total))
        let width = 24
        let filled = Int(fraction * Double(width))
        Console.error(
            "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(Int(fraction * 100))% (\(done) of \(total) \(unit))\u{1B}[K")
    }
}
