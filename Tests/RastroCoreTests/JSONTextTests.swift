import RastroCore
import Testing

@Suite("JSON text")
struct JSONTextTests {
    @Test(arguments: [
        ("plain", "\"plain\""),
        ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ("back\\slash", "\"back\\\\slash\""),
        ("line\nbreak\ttab\rreturn", "\"line\\nbreak\\ttab\\rreturn\""),
        ("bell\u{07}", "\"bell\\u0007\""),
        ("ñandú ✓", "\"ñandú ✓\""),
    ])
    func stringsAreQuotedAndEscaped(value: String, expected: String) {
        #expect(JSONText.quoted(value) == expected)
    }
}
