import Foundation

/// Numbers as a case file writes them, checked before they become an `Int` or a `Double`: an
/// integer that does not fit in 64 bits, or a decimal with more digits than a double holds, would
/// otherwise reach the rules as a different number without a word. Messages quote the number
/// exactly as the file has it.
enum NumberText {
    /// Why the decimal numeral cannot be read exactly; nil when it can (or is not a plain decimal
    /// numeral: YAML's hexadecimal, octal and other forms are left to the YAML reader).
    static func problem(_ text: String) -> String? {
        guard let parts = parse(text) else { return nil }
        let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
        if parts.isInteger {
            if Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text) != nil { return nil }
            return "the integer \(shown) is out of range (from \(Int64.min) to \(Int64.max))"
        }
        guard let value = Double(text.hasPrefix("+") ? String(text.dropFirst()) : text), value.isFinite else {
            return "the number \(shown) is out of range for a number"
        }
        if value == 0 && parts.digits.allSatisfy({ $0 == UInt8(ascii: "0") }) { return nil }
        guard let exact = parse(String(describing: value)) else { return nil }
        if normalized(parts) == normalized(exact) { return nil }
        return "the number \(shown) has more digits than a number holds (it would be read as \(value)); round it"
    }

    struct Parts {
        var digits: [UInt8]  // integer and fraction digits together
        var exponent: Int  // value = digits × 10^exponent
        var isInteger: Bool  // no fraction and no exponent written
    }

    /// Splits `[+-]digits[.digits][e[+-]digits]`; nil for anything else.
    static func parse(_ text: String) -> Parts? {
        var bytes = Array(text.utf8)[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let integer = bytes.prefix(while: isDigit)
        bytes = bytes.dropFirst(integer.count)
        var fraction: ArraySlice<UInt8> = []
        var isInteger = true
        if bytes.first == UInt8(ascii: ".") {
            isInteger = false
            bytes = bytes.dropFirst()
            fraction = bytes.prefix(while: isDigit)
            bytes = bytes.dropFirst(fraction.count)
        }
        guard !integer.isEmpty || !fraction.isEmpty else { return nil }
        var exponent = 0
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isInteger = false
            bytes = bytes.dropFirst()
            var negative = false
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                negative = sign == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            let digits = bytes.prefix(while: isDigit)
            guard !digits.isEmpty, digits.count < 10 else { return digits.isEmpty ? nil : Parts(digits: [], exponent: 0, isInteger: false) }
            bytes = bytes.dropFirst(digits.count)
            exponent = Int(String(decoding: digits, as: UTF8.self))! * (negative ? -1 : 1)
        }
        guard bytes.isEmpty else { return nil }
        return Parts(digits: Array(integer) + Array(fraction), exponent: exponent - fraction.count, isInteger: isInteger)
    }

    /// Leading and trailing zeros dropped, so that 1.50 and 15e-1 compare equal.
    static func normalized(_ parts: Parts) -> ([UInt8], Int) {
        var digits = parts.digits[...].drop { $0 == UInt8(ascii: "0") }
        var exponent = parts.exponent
        while digits.last == UInt8(ascii: "0") {
            digits = digits.dropLast()
            exponent += 1
        }
        return (Array(digits), digits.isEmpty ? 0 : exponent)
    }
}

/// Finds the first number of a (valid) JSON text that cannot be read exactly, with its field path
/// and line. JSONSerialization gives back only the rounded value; the text is needed to say what
/// the file wrote.
enum JSONNumberScanner {
    private enum Container {
        case object(key: String?)
        case array(index: Int)
    }

    static func firstProblem(in data: Data) -> String? {
        var problem: String?
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var stack: [Container] = []
            var line = 1
            var i = 0
            var expectKey = false
            func path() -> String {
                var out = ""
                for c in stack {
                    switch c {
                    case .object(let key?): out += out.isEmpty ? key : "." + key
                    case .object(nil): break
                    case .array(let index): out += "[\(index)]"
                    }
                }
                return out
            }
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case UInt8(ascii: "\n"): line += 1
                case UInt8(ascii: "{"):
                    stack.append(.object(key: nil))
                    expectKey = true
                case UInt8(ascii: "["):
                    stack.append(.array(index: 0))
                    expectKey = false
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    _ = stack.popLast()
                    expectKey = false
                case UInt8(ascii: ","):
                    if case .array(let index)? = stack.last { stack[stack.count - 1] = .array(index: index + 1) }
                    if case .object? = stack.last { expectKey = true }
                case UInt8(ascii: "\""):
                    let start = i + 1
                    i += 1
                    while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                        if bytes[i] == UInt8(ascii: "\\") { i += 1 }
                        i += 1
                    }
                    if expectKey, case .object? = stack.last {
                        let end = min(i, bytes.count)
                        // As written (escapes and all): only used in a message.
                        let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                        stack[stack.count - 1] = .object(key: key)
                        expectKey = false
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    var j = i
                    while j < bytes.count,
                        (bytes[j] >= UInt8(ascii: "0") && bytes[j] <= UInt8(ascii: "9"))
                            || bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: ".")
                            || bytes[j] == UInt8(ascii: "e") || bytes[j] == UInt8(ascii: "E")
                    {
                        j += 1
                    }
                    let token = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<j]), as: UTF8.self)
                    if let message = NumberText.problem(token) {
                        let p = path()
                        problem = "\(p.isEmpty ? "" : p + ": ")\(message) (line \(line))"
                        return
                    }
                    i = j - 1
                default: break
                }
                i += 1
            }
        }
        return problem
    }
}
