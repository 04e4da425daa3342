/// What an untagged plain YAML scalar is — null, a boolean, an integer, a float or text — exactly as
/// Yams' default resolver reads it (YAML 1.1: `yes`/`no`/`on`/`off` are booleans, `0x1F` and `0o17`
/// are integers, `1:30` is a base-60 number, `~` is null), without its regular expressions.
///
/// Yams resolves a plain scalar by trying its rules' patterns in turn with `NSRegularExpression`,
/// which starts ICU's regular-expression engine: the first YAML case a process reads cost about
/// 2 ms more than the next one, a tenth of a cold `sacral evaluate`. The patterns are small and
/// fixed, so they are matched here by hand, byte by byte, in the same order (bool, int, float,
/// merge, null; timestamps, merge keys and the rest read as text, as the decoder always took them),
/// with ICU's meaning of `$`.
/// `PlainScalarTests` checks every kind against Yams' own patterns on random and edge-case text.
enum PlainScalar {
    /// What a scalar resolves to, in the order Yams' default resolver tries its rules.
    enum Kind: Equatable {
        case bool, int, float, null, string
    }

    static func kind(of text: String) -> Kind {
        var text = text
        return text.withUTF8 { kind(of: $0) }
    }

    static func kind(of text: UnsafeBufferPointer<UInt8>) -> Kind {
        let s = UnsafeBufferPointer(rebasing: text[..<endBeforeFinalLineTerminator(text)])
        if isBool(s) { return .bool }
        if isInt(s) { return .int }
        if isFloat(s) { return .float }
        if isNull(s) { return .null }
        return .string
    }

    // MARK: - The patterns

    private static let bools: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off",
        "Off", "OFF",
    ]

    /// `^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`
    private static func isBool(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        s.count >= 2 && s.count <= 5 && bools.contains(String(decoding: s, as: UTF8.self))
    }

    /// `^(?:~|null|Null|NULL|)$`
    private static func isNull(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        switch s.count {
        case 0: return true
        case 1: return s[0] == UInt8(ascii: "~")
        case 4:
            let t = String(decoding: s, as: UTF8.self)
            return t == "null" || t == "Null" || t == "NULL"
        default: return false
        }
    }

    /// ```
    /// ^(?:[-+]?0b[0-1_]+
    ///   |[-+]?0o?[0-7_]+
    ///   |[-+]?(?:0|[1-9][0-9_]*)
    ///   |[-+]?0x[0-9a-fA-F_]+
    ///   |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$
    /// ```
    private static func isInt(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if i < s.count, isSign(s[i]) { i += 1 }
        guard i < s.count else { return false }
        let first = s[i]
        if first == UInt8(ascii: "0") {
            let next = i + 1
            if next == s.count { return true }  // 0
            switch s[next] {
            case UInt8(ascii: "b"): return all(s, from: next + 1, atLeastOne: true) { $0 == 0x30 || $0 == 0x31 || $0 == 0x5F }
            case UInt8(ascii: "x"): return all(s, from: next + 1, atLeastOne: true) { isHexDigit($0) || $0 == 0x5F }
            case UInt8(ascii: "o"): return all(s, from: next + 1, atLeastOne: true) { isOctalDigit($0) || $0 == 0x5F }
            default: return all(s, from: next, atLeastOne: true) { isOctalDigit($0) || $0 == 0x5F }
            }
        }
        guard first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") else { return false }
        var j = i + 1
        while j < s.count, isDigit(s[j]) || s[j] == 0x5F { j += 1 }
        if j == s.count { return true }  // [1-9][0-9_]*
        return sexagesimalGroups(s, from: j, thenFraction: false)
    }

    /// ```
    /// ^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    ///   |\.[0-9_]+(?:[eE][-+][0-9]+)?
    ///   |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    ///   |[-+]?\.(?:inf|Inf|INF)
    ///   |\.(?:nan|NaN|NAN))$
    /// ```
    private static func isFloat(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !s.isEmpty else { return false }
        var i = 0
        let signed = isSign(s[0])
        if signed { i = 1 }
        guard i < s.count else { return false }
        if s[i] == UInt8(ascii: ".") {
            let rest = String(decoding: UnsafeBufferPointer(rebasing: s[(i + 1)...]), as: UTF8.self)
            if rest == "inf" || rest == "Inf" || rest == "INF" { return true }
            if signed { return false }
            if rest == "nan" || rest == "NaN" || rest == "NAN" { return true }
            // \.[0-9_]+(?:[eE][-+][0-9]+)?
            var j = i + 1
            while j < s.count, isDigit(s[j]) || s[j] == 0x5F { j += 1 }
            guard j > i + 1 else { return false }
            if j == s.count { return true }
            return exponent(s, from: j, signRequired: true)
        }
        guard isDigit(s[i]) else { return false }
        var j = i + 1
        while j < s.count, isDigit(s[j]) || s[j] == 0x5F { j += 1 }
        if j == s.count { return true }
        switch s[j] {
        case UInt8(ascii: "."):
            var k = j + 1
            while k < s.count, isDigit(s[k]) || s[k] == 0x5F { k += 1 }
            if k == s.count { return true }
            return exponent(s, from: k, signRequired: false)
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            return exponent(s, from: j, signRequired: false)
        case UInt8(ascii: ":"):
            return sexagesimalGroups(s, from: j, thenFraction: true)
        default:
            return false
        }
    }

    // MARK: - Pieces

    /// The patterns end in `$`, which in ICU (NSRegularExpression) also matches before one line
    /// terminator at the very end: LF, VT, FF, CR, CR LF, NEL, LS or PS. libyaml never ends a plain
    /// scalar with one (they are line breaks to it), but the reading stays the patterns' own.
    private static func endBeforeFinalLineTerminator(_ s: UnsafeBufferPointer<UInt8>) -> Int {
        let n = s.count
        guard n > 0 else { return 0 }
        switch s[n - 1] {
        case 0x0A: return n >= 2 && s[n - 2] == 0x0D ? n - 2 : n - 1
        case 0x0B, 0x0C, 0x0D: return n - 1
        case 0x85: return n >= 2 && s[n - 2] == 0xC2 ? n - 2 : n
        case 0xA8, 0xA9: return n >= 3 && s[n - 3] == 0xE2 && s[n - 2] == 0x80 ? n - 3 : n
        default: return n
        }
    }

    /// `(?::[0-5]?[0-9])+` from `i` (at a colon) to the end, or, `thenFraction`, followed by
    /// `\.[0-9_]*` to the end. A group's digits run to the next colon (or dot): one digit, or two
    /// of which the first is 0–5.
    private static func sexagesimalGroups(_ s: UnsafeBufferPointer<UInt8>, from start: Int, thenFraction: Bool) -> Bool {
        var i = start
        var groups = 0
        while i < s.count, s[i] == UInt8(ascii: ":") {
            var j = i + 1
            while j < s.count, isDigit(s[j]) { j += 1 }
            switch j - (i + 1) {
            case 1: break
            case 2: guard s[i + 1] <= UInt8(ascii: "5") else { return false }
            default: return false
            }
            groups += 1
            i = j
        }
        guard groups > 0 else { return false }
        if !thenFraction { return i == s.count }
        guard i < s.count, s[i] == UInt8(ascii: ".") else { return false }
        return all(s, from: i + 1, atLeastOne: false) { isDigit($0) || $0 == 0x5F }
    }

    /// `[eE][-+]?[0-9]+` (the sign required with `signRequired`) from `i` to the end.
    private static func exponent(_ s: UnsafeBufferPointer<UInt8>, from start: Int, signRequired: Bool) -> Bool {
        var i = start
        guard i < s.count, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") else { return false }
        i += 1
        if i < s.count, isSign(s[i]) {
            i += 1
        } else if signRequired {
            return false
        }
        return all(s, from: i, atLeastOne: true, isDigit)
    }

    private static func all(
        _ s: UnsafeBufferPointer<UInt8>, from start: Int, atLeastOne: Bool, _ accepts: (UInt8) -> Bool
    ) -> Bool {
        if atLeastOne && start >= s.count { return false }
        var i = start
        while i < s.count {
            if !accepts(s[i]) { return false }
            i += 1
        }
        return true
    }

    private static func isSign(_ b: UInt8) -> Bool { b == UInt8(ascii: "+") || b == UInt8(ascii: "-") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    private static func isOctalDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") }
    private static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }
}
