import Testing

extension Tag {
    /// Slow end-to-end runs: real `rastrod` processes killed and restarted, connections cut by a chaos proxy. `make
    /// test-fast` skips them (by name: see the Makefile); `make test` runs everything.
    @Tag static var endToEnd: Self
}
