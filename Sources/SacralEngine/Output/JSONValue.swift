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
        var out = ""
        write(to: &out, indent: pretty ? 0 : nil)
        return out
    }

    /// Serialises the value as it stands at nesting level `level` of a pretty document (the first
    /// line unindented), so that documents can be written one by one as the members of an array.
    public func serialized(nestedAt level: Int) -> String {
        var out = ""
        write(to: &out, indent: level)
        return out
    }

    /// Writes the value as it would stand at nesting level `indent` of a pretty document (nil:
    /// compact), so that documents can be streamed as the members of an enclosing array.
    func write(to out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONValue.format(d)
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            // Short lists of scalars stay on one line: they read better and diff the same.
            let inline = indent == nil || (items.count <= 8 && items.allSatisfy(\.isScalar))
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += inline && indent != nil ? ", " : "," }
                if !inline, let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
                item.write(to: &out, indent: indent.map { $0 + 1 })
            }
            if !inline, let indent { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += "," }
                if let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSONValue.quote(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, indent: indent.map { $0 + 1 })
            }
            if let indent { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
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
        out += "\""
        // Most strings need no escape: append them whole (scalar by scalar is slow, and batches of
        // thousands of decisions spend most of their time here).
        var plain = true
        var text = s
        text.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                if b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F {
                    plain = false
                    return
                }
                i += 1
            }
        }
        if plain {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// A case file's content before validation. The same value type as every output: what YAML and
/// JSON have in common.
public typealias CaseValue = JSONValue
