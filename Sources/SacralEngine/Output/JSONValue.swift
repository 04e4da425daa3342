/// Plain data with ordered object keys: a case file's content as read (YAML and JSON alike), and
/// every document the engine writes (decision-output.md).
///
/// Object keys keep the order they were read or built in, so that messages follow the file and the
/// output's key order is part of the contract: two runs print identical bytes. It is the one value
/// type of SacralEngine's API; the Lua bridge's own value type stays inside the engine.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Numbers compare by value (`1 == 1.0`); objects compare key by key, in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A member of an object; nil when absent or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [(key: String, value: JSONValue)]? {
        if case .object(let o) = self { return o } else { return nil }
    }
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// What a person would call this kind of value, for messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The value as it would be written, shortened, for messages.
    public var shortDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return "\"" + (s.count > 40 ? String(s.prefix(40)) + "…" : s) + "\""
        case .array(let l): return "a list of \(l.count)"
        case .object(let o): return "an object of \(o.count) keys"
        }
    }

    /// The value written inline for people: strings bare, lists in brackets, the rest as JSON.
    public var inlineText: String {
        switch self {
        case .string(let s): return s
        case .array(let items): return "[" + items.map(\.inlineText).joined(separator: ", ") + "]"
        default: return serialized(pretty: false)
        }
    }

    /// Serialises the document. Pretty output indents by two spaces; compact output is one line.
    public func serialized(pretty: Bool = true) -> String {
        serialized(indent: pretty ? 0 : nil)
    }

    /// Serialises the value as it stands at nesting level `level` of a pretty document (the first
    /// line unindented), so that documents can be written one by one as the members of an array.
    public func serialized(nestedAt level: Int) -> String {
        serialized(indent: level)
    }

    // Bytes, then one String: a batch renders thousands of documents, and appending to a String
    // piece by piece (with an indentation string made for every line) was most of the time.
    private func serialized(indent: Int?) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(to: &out, indent: indent)
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func newline(_ level: Int, to out: inout [UInt8]) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: 2 * level))
    }

    /// Writes the value as it would stand at nesting level `indent` of a pretty document (nil:
    /// compact), so that documents can be streamed as the members of an enclosing array.
    func write(to out: inout [UInt8], indent: Int?) {
        switch self {
        case .null: Self.append("null", to: &out)
        case .bool(let b): b ? Self.append("true", to: &out) : Self.append("false", to: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: JSONValue.format(d).utf8)
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                Self.append("[]", to: &out)
                return
            }
            // Short lists of scalars stay on one line: they read better and diff the same.
            let inline = indent == nil || (items.count <= 8 && items.allSatisfy(\.isScalar))
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 {
                    if inline && indent != nil { Self.append(", ", to: &out) } else { out.append(UInt8(ascii: ",")) }
                }
                if !inline, let indent { Self.newline(indent + 1, to: &out) }
                item.write(to: &out, indent: indent.map { $0 + 1 })
            }
            if !inline, let indent { Self.newline(indent, to: &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty {
                Self.append("{}", to: &out)
                return
            }
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if let indent { Self.newline(indent + 1, to: &out) }
                JSONValue.quote(key, into: &out)
                if indent == nil { out.append(UInt8(ascii: ":")) } else { Self.append(": ", to: &out) }
                value.write(to: &out, indent: indent.map { $0 + 1 })
            }
            if let indent { Self.newline(indent, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return String(d)
    }

    static func quote(_ s: String, into out: inout String) {
        var bytes: [UInt8] = []
        quote(s, into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// Whether any byte is a control character (below 0x20, or 0x7F), a quote or a backslash.
    /// Eight bytes at a time: the texts of a decision are most of its output, and a byte-by-byte
    /// scan with four comparisons was most of the time spent writing it.
    static func needsEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // A byte of x is zero exactly where (x - 1) borrows into its high bit and x's high bit is clear.
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        var i = 0
        let count = bytes.count
        if let base = UnsafeRawPointer(bytes.baseAddress) {
            while i + 8 <= count {
                let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // Below 0x20: (x - 0x20 each) borrows into a clear high bit; exact for bytes < 0x80.
                let below = (x &- ones &* 0x20) & ~x & highs
                if below != 0 || hasZeroByte(x ^ (ones &* 0x22)) || hasZeroByte(x ^ (ones &* 0x5C))
                    || hasZeroByte(x ^ (ones &* 0x7F))
                {
                    return true
                }
                i += 8
            }
        }
        while i < count {
            let b = bytes[i]
            if b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F { return true }
            i += 1
        }
        return false
    }

    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { bytes in
            // Most strings need no escape: appended whole.
            if !needsEscape(bytes) {
                out.append(contentsOf: bytes)
                return
            }
            for b in bytes {
                switch b {
                case UInt8(ascii: "\""): append("\\\"", to: &out)
                case UInt8(ascii: "\\"): append("\\\\", to: &out)
                case 0x0A: append("\\n", to: &out)
                case 0x0D: append("\\r", to: &out)
                case 0x09: append("\\t", to: &out)
                case 0x00..<0x20, 0x7F:
                    let hex = Array("0123456789abcdef".utf8)
                    append("\\u00", to: &out)
                    out.append(hex[Int(b >> 4)])
                    out.append(hex[Int(b & 0x0F)])
                default: out.append(b)  // UTF-8 bytes of any other scalar, as they are
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A case file's content before validation. The same value type as every output: what YAML and
/// JSON have in common.
public typealias CaseValue = JSONValue
