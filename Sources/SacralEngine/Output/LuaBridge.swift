import LuaKit

// The one place where the Lua bridge's values meet SacralEngine's: LuaKit's types never appear in
// SacralEngine's public API.

/// Plain data read out of Lua: a ``LuaValue``, or a node of a ``LuaTree`` (how a decision
/// crosses). JSON is made from either by the one reading below.
protocol LuaPlainData {
    /// The value as JSON when it is no table (a non-finite float is null); nil for a table.
    var scalarJSON: JSONValue? { get }
    /// A table's items at keys 1…n.
    var listItems: [Self] { get }
    /// A table's other keys, sorted, with their values (none for anything but a table).
    var recordFields: [(key: String, value: Self)] { get }
}

extension LuaValue: LuaPlainData {
    var scalarJSON: JSONValue? {
        switch self {
        case .nil: return .null
        case .boolean(let b): return .bool(b)
        case .integer(let i): return .int(i)
        case .number(let d): return d.isFinite ? .double(d) : .null
        case .string(let s): return .string(s)
        case .table: return nil
        }
    }
    var listItems: [LuaValue] { tableValue?.array ?? [] }
    var recordFields: [(key: String, value: LuaValue)] {
        guard let t = tableValue else { return [] }
        return t.sortedKeys.map { (key: $0, value: t.fields[$0]!) }
    }
}

extension LuaNode: LuaPlainData {
    var scalarJSON: JSONValue? {
        if isNil { return .null }
        if let b = boolValue { return .bool(b) }
        if let i = integerValue { return .int(i) }
        if let d = floatValue { return d.isFinite ? .double(d) : .null }
        if let s = stringValue { return .string(s) }
        return nil
    }
    var listItems: [LuaNode] { Array(items) }
    var recordFields: [(key: String, value: LuaNode)] { sortedFields.map { (key: $0.key, value: $0.value) } }
}

extension JSONValue {
    /// Plain data from Lua: a sequence becomes an array, a record an object with sorted keys, an
    /// empty table an empty array.
    init<Lua: LuaPlainData>(_ lua: Lua) {
        if let scalar = lua.scalarJSON {
            self = scalar
            return
        }
        let fields = lua.recordFields
        let items = lua.listItems
        if fields.isEmpty {
            self = .array(items.map(JSONValue.init))
            return
        }
        var pairs = fields.map { (key: $0.key, value: JSONValue($0.value)) }
        if !items.isEmpty {
            pairs = items.enumerated().map { (key: String($0.offset + 1), value: JSONValue($0.element)) } + pairs
        }
        self = .object(pairs)
    }

    /// A Lua record as an object with sorted keys (an empty table is an empty object).
    static func sortedObject<Lua: LuaPlainData>(_ lua: Lua) -> JSONValue {
        .object(sortedMembers(lua))
    }

    /// The members of a Lua record, keys sorted.
    static func sortedMembers<Lua: LuaPlainData>(_ lua: Lua) -> [(key: String, value: JSONValue)] {
        lua.recordFields.map { (key: $0.key, value: JSONValue($0.value)) }
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
