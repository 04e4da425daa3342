/// A Lua value copied out of (or into) a Lua state: plain data only, no functions or userdata.
///
/// Tables keep their sequence part (keys 1…n) apart from their other keys so that a list and a
/// record survive the round trip; the other keys are strings (numbers are written as their
/// decimal text), held sorted so that everything derived from a value is deterministic.
public enum LuaValue: Sendable, Hashable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case table(LuaTable)

    /// A list value.
    public static func list(_ items: [LuaValue]) -> LuaValue { .table(LuaTable(array: items)) }
    /// A record value.
    public static func record(_ fields: [String: LuaValue]) -> LuaValue { .table(LuaTable(fields: fields)) }

    public var isNil: Bool { if case .nil = self { return true } else { return false } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .boolean(let b) = self { return b } else { return nil } }
    public var tableValue: LuaTable? { if case .table(let t) = self { return t } else { return nil } }
    /// Integers and floats alike, as a Double.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
    public var intValue: Int? {
        switch self {
        case .integer(let i): return Int(exactly: i)
        case .number(let d): return d.rounded() == d && abs(d) < 9e15 ? Int(d) : nil
        default: return nil
        }
    }

    /// A record field; `.nil` when absent or when this is not a table.
    public subscript(key: String) -> LuaValue { tableValue?.fields[key] ?? .nil }
}

/// A Lua table as plain data.
public struct LuaTable: Sendable, Hashable {
    /// Values at keys 1…n.
    public var array: [LuaValue]
    /// All other keys.
    public var fields: [String: LuaValue]

    public init(array: [LuaValue] = [], fields: [String: LuaValue] = [:]) {
        self.array = array
        self.fields = fields
    }

    public var isEmpty: Bool { array.isEmpty && fields.isEmpty }
    /// The field keys in sorted order.
    public var sortedKeys: [String] { fields.keys.sorted() }
}
