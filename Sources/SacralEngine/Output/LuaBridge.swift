import LuaKit

// The one place where the Lua bridge's values meet SacralEngine's: LuaKit's types never appear in
// SacralEngine's public API.

extension JSONValue {
    /// Plain data from Lua: a sequence becomes an array, a record an object with sorted keys, an
    /// empty table an empty array.
    init(_ lua: LuaValue) {
        switch lua {
        case .nil: self = .null
        case .boolean(let b): self = .bool(b)
        case .integer(let i): self = .int(i)
        case .number(let d): self = d.isFinite ? .double(d) : .null
        case .string(let s): self = .string(s)
        case .table(let t):
            if t.fields.isEmpty {
                self = .array(t.array.map(JSONValue.init))
            } else {
                var pairs = t.sortedKeys.map { (key: $0, value: JSONValue(t.fields[$0]!)) }
                if !t.array.isEmpty {
                    pairs = t.array.enumerated().map { (key: String($0.offset + 1), value: JSONValue($0.element)) } + pairs
                }
                self = .object(pairs)
            }
        }
    }

    /// A Lua record as an object with sorted keys (an empty table is an empty object).
    static func sortedObject(_ lua: LuaValue) -> JSONValue {
        .object(sortedMembers(lua))
    }

    /// The members of a Lua record, keys sorted.
    static func sortedMembers(_ lua: LuaValue) -> [(key: String, value: JSONValue)] {
        guard let t = lua.tableValue else { return [] }
        return t.sortedKeys.map { (key: $0, value: JSONValue(t.fields[$0]!)) }
    }
}

extension JSONValue {
    /// Plain data from Lua, read as from a ``LuaValue``: a sequence becomes an array, a
    /// record an object with sorted keys, an empty table an empty array.
    init(_ lua: LuaNode) {
        if lua.isNil {
            self = .null
        } else if let b = lua.boolValue {
            self = .bool(b)
        } else if let i = lua.integerValue {
            self = .int(i)
        } else if let d = lua.floatValue {
            self = d.isFinite ? .double(d) : .null
        } else if let s = lua.stringValue {
            self = .string(s)
        } else if lua.fieldCount == 0 {
            self = .array(lua.items.map(JSONValue.init))
        } else {
            var pairs = lua.sortedFields.map { (key: $0.key, value: JSONValue($0.value)) }
            let items = lua.items
            if !items.isEmpty {
                pairs = items.enumerated().map { (key: String($0.offset + 1), value: JSONValue($0.element)) } + pairs
            }
            self = .object(pairs)
        }
    }

    /// A Lua record as an object with sorted keys (an empty table is an empty object).
    static func sortedObject(_ lua: LuaNode) -> JSONValue {
        .object(sortedMembers(lua))
    }

    /// The members of a Lua record, keys sorted.
    static func sortedMembers(_ lua: LuaNode) -> [(key: String, value: JSONValue)] {
        lua.sortedFields.map { (key: $0.key, value: JSONValue($0.value)) }
    }
}

extension LuaValue {
    /// Builds a Lua value from case data without checking it against the dictionary.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .nil
        case .bool(let b): self = .boolean(b)
        case .int(let i): self = .integer(i)
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(LuaValue.init))
        case .object(let pairs):
            var fields: [String: LuaValue] = [:]
            for (k, v) in pairs { fields[k] = LuaValue(v) }
            self = .record(fields)
        }
    }
}

/// Resource limits of the rules' sandbox: the memory cap of the Lua state, the instructions one
/// budget window (one rule call) allows, and the budget of one case (all its rule calls together).
public struct EngineLimits: Sendable, Equatable {
    /// Bytes the state may hold while running rule code.
    public var memoryBytes: Int
    /// Instructions one rule call may run before it is stopped (fail closed).
    public var instructionsPerWindow: Int
    /// Instructions all rule calls of one case may run together; 0 for no such budget. Without it,
    /// many rules each close to their own budget, or one per-lesion rule over many lesions, add up
    /// to minutes.
    public var instructionsPerCase: Int
    /// CPU seconds the rules of one case may take (the evaluating thread's, so a loaded machine
    /// decides as an idle one); 0 for none. The backstop for work no instruction count sees; a
    /// rule stopped by it fails closed and the output says so.
    public var secondsPerCase: Double

    public init(
        memoryBytes: Int = 32 << 20, instructionsPerWindow: Int = 1_000_000,
        instructionsPerCase: Int = 20_000_000, secondsPerCase: Double = 5
    ) {
        self.memoryBytes = memoryBytes
        self.instructionsPerWindow = instructionsPerWindow
        self.instructionsPerCase = instructionsPerCase
        self.secondsPerCase = secondsPerCase
    }

    var lua: LuaLimits {
        LuaLimits(
            memoryBytes: memoryBytes, instructionsPerWindow: instructionsPerWindow,
            instructionsPerCase: instructionsPerCase, secondsPerCase: secondsPerCase)
    }
}
