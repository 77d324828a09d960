import RastroCore
import Testing

@Suite struct EscapedTextTests {
    @Test(arguments: [
        ("plain text, untouched", "plain text, untouched"),
        ("a\nb", #"a\nb"#),
        ("a\r\nOK 999 0 0 0", #"a\r\nOK 999 0 0 0"#),
        ("tab\there", #"tab\there"#),
        ("\u{1B}[2K\u{7F}\u{0}", #"\x1b[2K\x7f\x00"#),
        (#"back\slash"#, #"back\\slash"#),
        ("naïve ✓", "naïve ✓"),
    ])
    func controlCharactersAreEscaped(text: String, expected: String) {
        #expect(EscapedText.escaping(text) == expected)
        #expect(!EscapedText.escaping(text).unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }
}
