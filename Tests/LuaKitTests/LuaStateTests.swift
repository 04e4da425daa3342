import Testing

@testable import LuaKit

/// Runs `source` as a chunk and returns its first result.
private func run(_ source: String, in state: LuaState? = nil, limits: LuaLimits = LuaLimits()) throws -> LuaValue {
    let state = try state ?? LuaState(limits: limits)
    let chunk = try state.compile(source, chunkName: "@rules/test.lua")
    return try state.call(chunk)
}

/// The error a chunk raises.
private func failure(_ source: String, limits: LuaLimits = LuaLimits()) -> LuaError? {
    do {
        _ = try run(source, limits: limits)
        return nil
    } catch let error as LuaError {
        return error
    } catch {
        return nil
    }
}

@Suite struct ValueBridgeTests {
    @Test func scalarsCrossBothWays() throws {
        let state = try LuaState()
        let echo = try state.compile("return ...", chunkName: "=echo")
        for value: LuaValue in [
            .nil, .boolean(true), .boolean(false), .integer(42), .integer(-7), .number(1.5), .string("ünïcode"), .string("a\0b"),
        ] {
            #expect(try state.call(echo, [.value(value)]) == value)
        }
    }

    @Test func integersAndFloatsStayApart() throws {
        #expect(try run("return 3") == .integer(3))
        #expect(try run("return 3.0") == .number(3.0))
        #expect(try run("return 7 // 2") == .integer(3))
    }

    @Test func tablesKeepListsAndRecordsApart() throws {
        let state = try LuaState()
        let echo = try state.compile("return ...", chunkName: "=echo")
        let value = LuaValue.record([
            "levels": .list([.string("S1"), .string("S2")]), "age": .integer(70),
            "labs": .record(["inr": .number(1.1)]),
        ])
        #expect(try state.call(echo, [.value(value)]) == value)
        let mixed = try run("return { 'a', 'b', x = 1, [10] = 'z' }")
        #expect(mixed.tableValue?.array == [.string("a"), .string("b")])
        #expect(mixed["x"] == .integer(1))
        #expect(mixed["10"] == .string("z"))
    }

    @Test func sparseIntegerKeysBecomeFields() throws {
        let value = try run("return { [1] = 'a', [3] = 'c' }")
        #expect(value.tableValue?.array == [.string("a")])
        #expect(value["3"] == .string("c"))
    }

    @Test func functionsCannotLeaveTheState() {
        #expect(failure("return { f = function() end }")?.kind == .conversion)
    }

    @Test func cyclesAreRefused() {
        #expect(failure("local t = {}; t.self = t; return t")?.kind == .conversion)
    }
}

@Suite struct ErrorKindTests {
    @Test func syntaxErrorNamesFileAndLine() throws {
        let state = try LuaState()
        #expect {
            _ = try state.compile("local x = 1\nif then\n", chunkName: "@Rules/broken.lua")
        } throws: { error in
            let e = error as! LuaError
            return e.kind == .syntax && e.message.hasPrefix("Rules/broken.lua:2:")
        }
    }

    @Test func runtimeErrorNamesFileAndLine() {
        let e = failure("local t = nil\nreturn t.x")
        #expect(e?.kind == .runtime)
        #expect(e?.message.hasPrefix("rules/test.lua:2:") == true)
    }

    @Test func errorWithTableValueIsDescribed() {
        let e = failure("error({ code = 1 })")
        #expect(e?.kind == .runtime)
        #expect(e?.message == "(error object is a table value)")
    }

    @Test func errorWithNilValueIsDescribed() {
        #expect(failure("error(nil)")?.message == "(error object is a nil value)")
    }

    @Test func binaryChunksAreRefused() throws {
        let state = try LuaState()
        #expect {
            _ = try state.compile("\u{1B}Lua\u{54}\0garbage", chunkName: "@Rules/bin.lua")
        } throws: { error in
            (error as! LuaError).message.contains("attempt to load a binary chunk")
        }
    }
}

@Suite struct SandboxTests {
    @Test(arguments: [
        "io", "os", "package", "debug", "require", "dofile", "loadfile", "load", "collectgarbage",
        "print", "rawset", "rawget", "rawequal", "rawlen", "setmetatable", "getmetatable", "coroutine",
    ])
    func dangerousGlobalsAreGone(name: String) throws {
        #expect(try run("return \(name) == nil") == .boolean(true))
    }

    @Test(arguments: ["string.dump", "math.random", "math.randomseed", "table.move"])
    func dangerousLibraryFunctionsAreGone(name: String) throws {
        #expect(try run("return \(name) == nil") == .boolean(true))
    }

    @Test func methodCallsOnStringsUseTheGuardedLibrary() throws {
        #expect(try run("return ('x').dump == nil") == .boolean(true))
    }

    @Test func safeLibrariesWork() throws {
        #expect(
            try run("return string.format('%.2f', 1.5) .. table.concat({'a','b'}, ',') .. math.floor(2.7) .. utf8.char(65)")
                == .string("1.50a,b2A"))
        #expect(try run("return ('S1-S2'):match('^(S%d)')") == .string("S1"))
    }

    @Test func pathologicalPatternIsRefusedNotRun() {
        let e = failure("return string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))")
        #expect(e?.message.contains("refused") == true)
    }

    @Test func repOfEmptyStringDoesNotSpin() throws {
        #expect(try run("return string.rep('', 1 << 60)") == .string(""))
    }
}

@Suite struct LimitTests {
    @Test func memoryCapStopsAGiantString() {
        let e = failure("return string.rep('x', 1 << 30)", limits: LuaLimits(memoryBytes: 4 << 20))
        #expect(e?.kind == .memory || e?.message.contains("too large") == true)
    }

    @Test func memoryCapStopsAGrowingTable() throws {
        let state = try LuaState(limits: LuaLimits(memoryBytes: 4 << 20))
        let chunk = try state.compile("local t = {} for i = 1, 1e9 do t[i] = i end", chunkName: "@rules/grow.lua")
        #expect(throws: LuaError.self) { try state.call(chunk) }
        #expect(state.hitLimit)
    }

    @Test func hostMayPushMoreThanTheCapWithoutAborting() throws {
        let state = try LuaState(limits: LuaLimits(memoryBytes: 256 << 10))
        let len = try state.compile("return #(...)", chunkName: "=len")
        // The cap is lifted while the host builds arguments, so this cannot abort the process.
        let big = String(repeating: "x", count: 1 << 20)
        #expect(try state.call(len, [.value(.string(big))]) == .integer(1 << 20))
    }

    @Test func budgetStopsAnInfiniteLoopInsideAWindow() throws {
        let state = try LuaState(limits: LuaLimits(instructionsPerWindow: 10_000))
        // The host table's arm() opens a window, as the trusted runtime does around each rule.
        let chunk = try state.compile("local host = ... host.arm() while true do end", chunkName: "@rules/spin.lua")
        #expect {
            try state.call(chunk, [state.hostTable])
        } throws: { error in
            let e = error as! LuaError
            return e.kind == .instructionLimit && e.message == "rules/spin.lua:1: instruction limit exceeded"
        }
        #expect(state.hitLimit)
    }

    @Test func pcallCannotSwallowTheBudget() throws {
        let state = try LuaState(limits: LuaLimits(instructionsPerWindow: 10_000))
        let chunk = try state.compile(
            """
            local host = ...
            host.arm()
            while true do pcall(function() while true do end end) end
            """, chunkName: "@rules/swallow.lua")
        #expect { try state.call(chunk, [state.hostTable]) } throws: { ($0 as! LuaError).kind == .instructionLimit }
    }

    @Test func trustedChunkRegainsControlAfterTheBudgetRunsOut() throws {
        let state = try LuaState(limits: LuaLimits(instructionsPerWindow: 10_000))
        let rule = try state.compile("while true do end", chunkName: "@rules/spin.lua")
        let runtime = try state.compile(
            """
            local host, rule = ...
            host.arm()
            local ok, err = pcall(rule)
            local tripped = host.disarm()
            return { ok = ok, err = err, tripped = tripped }
            """, chunkName: LuaState.trustedChunkName)
        let result = try state.call(runtime, [state.hostTable, .ref(rule)])
        #expect(result["ok"] == .boolean(false))
        #expect(result["tripped"] == .boolean(true))
        #expect(result["err"] == .string("rules/spin.lua:1: instruction limit exceeded"))
    }

    /// Every runtime module is trusted by its name prefix; a name that only resembles it is not.
    @Test(arguments: [
        ("=sacral-runtime/combine", true), ("=sacral-runtime/context", true),
        ("=sacral-runtime", false), ("=sacral-runtimes/x", false), ("@sacral-runtime/x", false),
    ])
    func trustIsByChunkNamePrefix(name: String, trusted: Bool) throws {
        let state = try LuaState(limits: LuaLimits(instructionsPerWindow: 10_000))
        let rule = try state.compile("while true do end", chunkName: "@rules/spin.lua")
        let module = try state.compile(
            """
            local host, rule = ...
            host.arm()
            pcall(rule)
            host.disarm()
            return { back = true }
            """, chunkName: name)
        if trusted {
            #expect(try state.call(module, [state.hostTable, .ref(rule)])["back"] == .boolean(true))
        } else {
            #expect { try state.call(module, [state.hostTable, .ref(rule)]) } throws: { ($0 as! LuaError).kind == .instructionLimit }
        }
    }

    /// The runtime's error handler bounds its search for the failing rule's line by the stack
    /// depth; the count must be exact at any depth, including the deep stack of a runaway recursion.
    @Test func depthCountsEveryFrameAtAnyDepth() throws {
        let state = try LuaState()
        let chunk = try state.compile(
            """
            local host = ...
            local function probe(n)
                if n == 0 then return host.depth() end
                return (probe(n - 1))  -- not a tail call: one frame per level
            end
            local base = probe(0)
            local seen = {}
            for _, n in ipairs({ 1, 2, 3, 7, 8, 9, 63, 64, 65, 1000, 20000 }) do seen[#seen + 1] = probe(n) - base end
            return seen
            """, chunkName: LuaState.trustedChunkName)
        let seen = try state.call(chunk, [state.hostTable])
        #expect(seen.tableValue?.array.compactMap(\.intValue) == [1, 2, 3, 7, 8, 9, 63, 64, 65, 1000, 20000])
    }

    @Test func stateStaysUsableAfterAnError() throws {
        let state = try LuaState()
        let bad = try state.compile("error('boom')", chunkName: "@rules/boom.lua")
        #expect(throws: LuaError.self) { try state.call(bad) }
        let good = try state.compile("return 1 + 1", chunkName: "@rules/ok.lua")
        #expect(try state.call(good) == .integer(2))
    }
}

/// A result read as a ``LuaTree`` holds what ``LuaValue`` holds, and fails where it fails.
@Suite struct LuaTreeTests {
    /// Each of `bodies` as the body of `f`, read both ways from one state (one traversal order).
    private func bothWays(_ body: String) throws -> (value: Result<LuaValue, LuaError>, tree: Result<LuaValue, LuaError>) {
        let state = try LuaState()
        let chunk = try state.compile("return { f = function() \(body) end }", chunkName: "=tree-test")
        let holder = try state.callKeepingResult(chunk)
        let value = Result { () throws(LuaError) in try state.call(holder, "f") }
        let tree = Result { () throws(LuaError) in try state.callTree(holder, "f").root.value }
        return (value, tree)
    }

    @Test(arguments: [
        "return nil", "return true", "return 3", "return 3.0", "return -0.0", "return 'ünïcode'", "return 'a\\0b'",
        "return {}", "return { 'a', 'b', x = 1, [10] = 'z' }", "return { [1] = 'a', [3] = 'c' }",
        "return { [1.5] = 'float', ['1.5'] = 'string' }", "return { [true] = 1, ['true'] = 2, [false] = 3 }",
        "return { [2] = 'b', [1] = 'a', [4] = 'd', x = { y = { z = { 1, 2, { w = 'deep' } } } } }",
        "return { [{}] = 'table key', [print or 1] = 'skipped?', k = 'kept' }",
        "local t = {} for i = 1, 300 do t['k' .. i] = i; t[i] = -i end return t",
        "local t = {} for i = 1, 50 do t[i] = { id = 'r' .. i, inputs = { ['labs.inr'] = i / 10 } } end return { reasons = t }",
        "return { f = function() end }", "local t = {}; t.self = t; return t",
        "return { string.rep('x', 70), string.rep('x', 70), s = string.rep('y', 100) }",
    ])
    func readsWhatLuaValueReads(body: String) throws {
        let (value, tree) = try bothWays(body)
        switch (value, tree) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a), .failure(let b)): #expect(a.kind == b.kind && a.message == b.message)
        default: Issue.record("one way succeeded, the other failed: \(value) / \(tree)")
        }
    }

    @Test func readsFieldsItemsAndScalarsInPlace() throws {
        let state = try LuaState()
        let chunk = try state.compile(
            "return { f = function() return { 'a', 2, 2.5, true, id = 'x', n = 7, list = { 'p', 'q' }, rec = { b = 1, a = 2 } } end }",
            chunkName: "=tree-test")
        let root = try state.callTree(try state.callKeepingResult(chunk), "f").root
        #expect(root.isTable && root.fieldCount == 4 && root.items.count == 4)
        #expect(root.items[0].stringValue == "a" && root.items[1].integerValue == 2 && root.items[2].floatValue == 2.5)
        #expect(root.items[1].floatValue == nil && root.items[2].integerValue == nil && root.items[3].boolValue == true)
        #expect(root["id"].stringValue == "x" && root["n"].intValue == 7 && root["absent"].isNil && root["id"]["deeper"].isNil)
        #expect(root["list"].items.map { $0.stringValue } == ["p", "q"])
        #expect(root["rec"].sortedFields.map(\.key) == ["a", "b"])
    }
}
