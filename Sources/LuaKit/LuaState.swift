import CLua
import CLuaShims

/// A sandboxed Lua 5.4 state.
///
/// Only base, table, string, math and utf8 are open; `load`, `dofile`, `require`, raw access,
/// metatables, `collectgarbage`, `print`, `string.dump` and randomness are gone, and chunks are
/// compiled from text only. Memory is capped and instructions are counted in windows that the
/// trusted runtime (chunks named with ``trustedChunkPrefix``) opens around each untrusted call.
///
/// Not `Sendable`: a state needs serialized access, so one owner (an actor or a single task) keeps it.
public final class LuaState {
    /// The chunk-name prefix that marks the trusted runtime's modules: their functions are never
    /// stopped by the budget.
    public static let trustedChunkPrefix = CLUA_TRUSTED_CHUNK_PREFIX
    /// The chunk name of the runtime's entry point (a trusted name).
    public static let trustedChunkName = CLUA_TRUSTED_CHUNK_PREFIX + "runtime"

    // `L`, as the Lua manual and lauxlib.c name the state.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let L: OpaquePointer
    public let limits: LuaLimits

    /// Creates a state and opens the sandbox.
    public init(limits: LuaLimits = LuaLimits()) throws(LuaError) {
        // swift-format-ignore: AlwaysUseLowerCamelCase
        guard let L = clua_newstate(limits.memoryBytes, limits.instructionsPerWindow) else {
            throw LuaError(.setup, "could not create a Lua state")
        }
        self.L = L
        self.limits = limits
        clua_set_case_budget(L, limits.instructionsPerCase, limits.secondsPerCase)
        if clua_open_sandbox(L) != LUA_OK {
            let message = popString()
            clua_close(L)
            throw LuaError(.setup, "could not open the sandbox: \(message)")
        }
    }

    deinit { clua_close(L) }

    /// Whether the last call from the host ran out of its case budget (``LuaLimits/instructionsPerCase``
    /// or ``LuaLimits/secondsPerCase``).
    public var caseBudgetExceeded: Bool { clua_case_exceeded(L) != 0 }

    /// Whether a memory cap or instruction budget was hit since the state was created. A state that
    /// hit a limit may hold garbage or half-built data: rebuild it.
    public var hitLimit: Bool {
        let lim = clua_get_limits(L)!.pointee
        return lim.mem_exceeded != 0 || lim.instr_exceeded != 0
    }

    /// Bytes the state holds now, and the most it ever held.
    public var memoryUse: (current: Int, peak: Int) {
        let lim = clua_get_limits(L)!.pointee
        return (Int(lim.mem_used), Int(lim.mem_peak))
    }

    /// The collections between cases so far: young ones (what the last case allocated, alone) and
    /// full ones (the first, and after a case that left anything else behind).
    public var collectionsBetweenCases: (young: Int, full: Int) {
        let lim = clua_get_limits(L)!.pointee
        return (lim.young_collections, lim.full_collections)
    }

    // MARK: - Line coverage

    /// Records every line of a rule file ("@" chunk) that runs from now on.
    public func enableLineCoverage() {
        clua_enable_line_coverage(L)
    }

    /// The lines run so far, by chunk name (without the "@").
    public func coveredLines() throws(LuaError) -> [String: Set<Int>] {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        clua_push_covered_lines(L)
        return LuaState.lineSets(try value(at: -1))
    }

    /// Converts chunk name -> { [line] = true } into sets of lines.
    public static func lineSets(_ value: LuaValue) -> [String: Set<Int>] {
        var out: [String: Set<Int>] = [:]
        for (chunk, lines) in value.tableValue?.fields ?? [:] {
            var set = Set<Int>()
            if let t = lines.tableValue {
                for i in t.array.indices { set.insert(i + 1) }
                for key in t.fields.keys { if let n = Int(key) { set.insert(n) } }
            }
            out[chunk.hasPrefix("@") ? String(chunk.dropFirst()) : chunk] = set
        }
        return out
    }

    // MARK: - Compiling and calling

    /// Compiles a text chunk and keeps the function in the registry.
    public func compile(_ source: String, chunkName: String) throws(LuaError) -> LuaRef {
        var source = source
        let rc = source.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { chars in
                clua_load_text(L, chars.baseAddress, chars.count, chunkName)
            }
        }
        guard rc == LUA_OK else {
            var message = popString()
            // Lua gives syntax errors a "file:line:" position, but none when it refuses a binary chunk.
            if chunkName.hasPrefix("@"), LuaPosition(message: message) == nil {
                message = "\(chunkName.dropFirst()): \(message)"
            }
            throw LuaError(rc == LUA_ERRMEM ? .memory : .syntax, message)
        }
        return LuaRef(state: self, ref: clua_ref(L))
    }

    /// Loads bytecode the host compiled from a text it trusts to be `source` under `chunkName` (the
    /// engine's runtime and shipped rules, compiled into the binary at build time); nil when this
    /// Lua refuses it (another version or format), and the caller compiles the text instead.
    /// Never called with bytes that came from a rule or a rules directory.
    public func loadPrecompiled(_ bytes: [UInt8], chunkName: String) -> LuaRef? {
        let rc = bytes.withUnsafeBufferPointer { buf in clua_load_precompiled(L, buf.baseAddress, buf.count, chunkName) }
        guard rc == LUA_OK else {
            clua_pop(L, 1)
            return nil
        }
        return LuaRef(state: self, ref: clua_ref(L))
    }

    /// Pushes the table of host functions reserved for the trusted runtime.
    public var hostTable: LuaArgument { .host }

    /// Calls a function with arguments and returns its first result as plain data.
    public func call(_ function: LuaRef, _ arguments: [LuaArgument] = []) throws(LuaError) -> LuaValue {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        clua_getref(L, function.ref)
        try invoke(arguments)
        return try value(at: -1)
    }

    /// Calls the function stored under `name` in a table held by `table`.
    public func call(_ table: LuaRef, _ name: String, _ arguments: [LuaArgument] = []) throws(LuaError) -> LuaValue {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try pushFunction(table, name)
        try invoke(arguments)
        return try value(at: -1)
    }

    /// Pushes the function stored under `name` in a table held by `table` (above the table).
    func pushFunction(_ table: LuaRef, _ name: String) throws(LuaError) {
        clua_getref(L, table.ref)
        lua_pushstring(L, name)
        lua_rawget(L, -2)  // raw: a host-facing table must not run Lua code unprotected
        guard lua_type(L, -1) == LUA_TFUNCTION else {
            throw LuaError(.runtime, "no function '\(name)' in the table")
        }
    }

    /// Runs a function and keeps its (table) result in the registry.
    public func callKeepingResult(_ function: LuaRef, _ arguments: [LuaArgument] = []) throws(LuaError) -> LuaRef {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        clua_getref(L, function.ref)
        try invoke(arguments)
        return LuaRef(state: self, ref: clua_ref(L))
    }

    /// Pushes the arguments and calls the function below them, protected; leaves one result.
    func invoke(_ arguments: [LuaArgument]) throws(LuaError) {
        for argument in arguments { push(argument) }
        let rc = clua_pcall(L, Int32(arguments.count), 1)
        guard rc == LUA_OK else { throw error(for: rc) }
    }

    private func error(for rc: Int32) -> LuaError {
        let message = popString()
        let lim = clua_get_limits(L)!.pointee
        switch rc {
        case LUA_ERRMEM: return LuaError(.memory, message)
        default:
            if (message.hasSuffix("instruction limit exceeded") || message.contains("case budget exceeded")) && lim.instr_exceeded != 0 {
                return LuaError(.instructionLimit, message)
            }
            return LuaError(.runtime, message)
        }
    }

    private func popString() -> String {
        var length = 0
        let text: String
        if let chars = clua_tolstring(L, -1, &length) {
            text = String(decoding: UnsafeRawBufferPointer(start: chars, count: length), as: UTF8.self)
        } else {
            text = "(error object is not a string)"
        }
        clua_pop(L, 1)
        return text
    }

    // MARK: - Values across the boundary

    /// Most nested tables a value may have when it crosses the boundary.
    public static let maxDepth = 64
    /// The one bound on the size of a value that crosses into Swift: every value counts
    /// ``valueCost`` bytes and every string its length, each time it is referenced (a string
    /// referenced a million times would be written out a million times too). Within it, a Lua
    /// string becomes one Swift string however often it is referenced.
    public static let maxResultBytes = 64 << 20
    /// What one value (a table entry, a number, a reference to a string) counts against ``maxResultBytes``.
    public static let valueCost = 32
    /// Most values (all levels together) a result may hold: ``maxResultBytes`` / ``valueCost``.
    public static let maxValues = maxResultBytes / valueCost

    func push(_ argument: LuaArgument) {
        switch argument {
        case .value(let v): push(v)
        case .ref(let r): clua_getref(L, r.ref)
        case .host: clua_push_host(L)
        }
    }

    func push(_ value: LuaValue) {
        switch value {
        case .nil: lua_pushnil(L)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s): pushString(s)
        case .table(let t):
            lua_createtable(L, Int32(clamping: t.array.count), Int32(clamping: t.fields.count))
            for (i, item) in t.array.enumerated() {
                push(item)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            for (key, item) in t.fields {
                pushString(key)
                push(item)
                lua_rawset(L, -3)
            }
        }
    }

    private func pushString(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { chars in
                _ = lua_pushlstring(L, chars.baseAddress, chars.count)
            }
        }
    }

    func value(at index: Int32) throws(LuaError) -> LuaValue {
        var conversion = Conversion(budget: LuaState.maxResultBytes)
        return try value(at: lua_absindex(L, index), depth: 0, conversion: &conversion)
    }

    /// What one conversion has used of ``maxResultBytes``, and the strings it made so far (by the
    /// address of the Lua string, which stays put while the value is on the stack). A
    /// ``LuaTree`` is read under the same bound.
    struct Conversion {
        var budget: Int
        var strings: [UnsafeRawPointer: String] = [:]

        mutating func spend(_ bytes: Int) throws(LuaError) {
            budget -= bytes
            guard budget >= 0 else {
                throw LuaError(
                    .conversion,
                    "result is larger than \(LuaState.maxResultBytes >> 20) MiB (every reference to a string counts its length)")
            }
        }

        /// The string at `index` of the stack, its length spent.
        mutating func string(at index: Int32, in state: OpaquePointer) throws(LuaError) -> String {
            var length = 0
            let chars = clua_tolstring(state, index, &length)!
            try spend(length)
            // Short strings are cheaper to copy than to look up: only long ones are kept, and looked for.
            guard length > 64 else { return String(decoding: UnsafeRawBufferPointer(start: chars, count: length), as: UTF8.self) }
            let key = UnsafeRawPointer(chars)
            if let known = strings[key] { return known }
            let text = String(decoding: UnsafeRawBufferPointer(start: chars, count: length), as: UTF8.self)
            strings[key] = text
            return text
        }

        /// Whether the key below the top of the stack (a traversal's) is one of the sequence 1…n.
        static func keyInSequence(_ state: OpaquePointer, _ sequence: Int64) -> Bool {
            guard lua_type(state, -2) == LUA_TNUMBER, clua_isinteger(state, -2) != 0 else { return false }
            let k = Int64(lua_tointegerx(state, -2, nil))
            return k >= 1 && k <= sequence
        }

        /// The key below the top of the stack (a traversal's) as a field name: a string as it
        /// is, a number or boolean by its text; nil for a table or function key (no data).
        mutating func keyText(in state: OpaquePointer) throws(LuaError) -> String? {
            switch lua_type(state, -2) {
            case LUA_TSTRING: return try string(at: lua_gettop(state) - 1, in: state)
            // Keys past the sequence 1…n are kept as fields, by their decimal text.
            case LUA_TNUMBER where clua_isinteger(state, -2) != 0: return String(lua_tointegerx(state, -2, nil))
            case LUA_TNUMBER: return String(lua_tonumberx(state, -2, nil))
            case LUA_TBOOLEAN: return lua_toboolean(state, -2) != 0 ? "true" : "false"
            default: return nil
            }
        }
    }

    private func string(at index: Int32, conversion: inout Conversion) throws(LuaError) -> String {
        try conversion.string(at: index, in: L)
    }

    private func value(at index: Int32, depth: Int, conversion: inout Conversion) throws(LuaError) -> LuaValue {
        try conversion.spend(LuaState.valueCost)
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            if clua_isinteger(L, index) != 0 { return .integer(Int64(lua_tointegerx(L, index, nil))) }
            return .number(lua_tonumberx(L, index, nil))
        case LUA_TSTRING:
            return .string(try string(at: index, conversion: &conversion))
        case LUA_TTABLE:
            guard depth < LuaState.maxDepth else {
                throw LuaError(.conversion, "a table nested deeper than \(LuaState.maxDepth) levels (or a cycle)")
            }
            guard lua_checkstack(L, 4) != 0 else { throw LuaError(.conversion, "Lua stack exhausted") }
            // The sequence 1…n first, by index (most tables the runtime returns are lists or
            // records, rarely both); then every other key, in one traversal.
            var array: [LuaValue] = []
            while lua_rawgeti(L, index, lua_Integer(array.count + 1)) != LUA_TNIL {
                let item = try value(at: lua_gettop(L), depth: depth + 1, conversion: &conversion)
                clua_pop(L, 1)
                array.append(item)
            }
            clua_pop(L, 1)
            let sequence = Int64(array.count)
            // Keys and values first, then a dictionary of the right size: grown one key at a time
            // it would hash every key again at each doubling.
            var pairs: [(String, LuaValue)] = []
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                if Conversion.keyInSequence(L, sequence) {
                    clua_pop(L, 1)
                    continue
                }
                let item = try value(at: lua_gettop(L), depth: depth + 1, conversion: &conversion)
                if let key = try conversion.keyText(in: L) { pairs.append((key, item)) }
                clua_pop(L, 1)
            }
            guard !pairs.isEmpty else { return .table(LuaTable(array: array, fields: [:])) }
            var fields = [String: LuaValue](minimumCapacity: pairs.count)
            for (key, item) in pairs { fields[key] = item }  // as before: a later key of the same text wins
            return .table(LuaTable(array: array, fields: fields))
        default:
            let typeName = String(cString: lua_typename(L, lua_type(L, index)))
            throw LuaError(.conversion, "a \(typeName) value cannot leave the Lua state")
        }
    }
}

/// A Lua value kept alive in a state's registry (a compiled chunk, a table of functions).
public final class LuaRef {
    let state: LuaState  // strong: the state must outlive every ref into its registry
    let ref: Int32

    init(state: LuaState, ref: Int32) {
        self.state = state
        self.ref = ref
    }

    deinit { clua_unref(state.L, ref) }
}

/// An argument to a Lua call.
public enum LuaArgument {
    case value(LuaValue)
    case ref(LuaRef)
    /// The host functions of the trusted runtime.
    case host
}
