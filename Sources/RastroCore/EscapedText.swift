/// Text from a client, made safe to echo into a line-based answer or a log line: every control character (below
/// 0x20, and 0x7F) is written as an escape (`\n`, `\r`, `\t`, else `\xNN`), and a backslash as `\\`, so that no
/// echoed field can end a line, start a forged one, or drive a terminal.
public enum EscapedText {
    public static func escaping(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x5C }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: escaped += "\\n"
            case 0x0D: escaped += "\\r"
            case 0x09: escaped += "\\t"
            case 0x5C: escaped += "\\\\"
            case 0..<0x20, 0x7F:
                let hex = String(scalar.value, radix: 16)
                escaped += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
