import Foundation
import LuaKit
import Testing

@testable import SacralEngine

/// What a failed attack must leave in the decision.
enum AttackOutcome: Sendable {
    /// A Lua error whose message names `rules/zz_attack.lua:line:` and contains the text.
    case error(line: Int, _ text: String)
    /// Stopped by the instruction budget at that line.
    case instructionLimit(line: Int)
    /// Stopped by the memory cap: "not enough memory", attributed to the rule's declaration (line 1).
    case memory
    /// Stopped by whichever limit comes first for deep recursion: the memory cap, Lua's stack
    /// limit or the instruction budget.
    case anyLimit
    /// Stopped either by the instruction budget or by the memory cap (which comes first depends on
    /// the allocation pattern, not on anything the engine promises).
    case instructionLimitOrMemory(line: Int)
}

/// One rule that tries to break out of the sandbox while it is evaluated.
struct Attack: Sendable, CustomTestStringConvertible {
    var name: String
    /// Lua statements on line 5 of the rule file (the body of `when`).
    var body: String
    var outcome: AttackOutcome
    /// The effect's text (a Lua expression on line 8).
    var text = #""x""#

    var testDescription: String { name }

    /// The rule file: the attack is on line 5, the declaration on line 1.
    var ruleFile: String {
        """
        rule {
            id = "zz.attack", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
            status = "recommended",
            when = function(c)
                \(body)
            end,
            effect = { status = "recommended",
                text = \(text) },
        }

        """
    }
}

/// A rule that runs before the attack (its file sorts first, it speaks to the same pathway) and
/// puts what it sees of everything an attack might tamper with into the output: the libraries,
/// shared tables, context methods and the global environment. If an attack in one case left a
/// trace, the probe of the next case says so, and that case's output differs from a fresh engine's.
let probeRuleFile = """
    local t = use("thresholds")
    rule {
        id = "zz.probe", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
        status = "recommended",
        when = function(c)
            local seen = {}
            for k in pairs(t) do seen[#seen + 1] = tostring(k) end
            table.sort(seen)
            error(string.format("probe: inr_max=%s keys=%s upper=%s find=%s rep=%s inr=%s insert=%s floor=%s global=%s",
                tostring(t.inr_max), table.concat(seen, ","), string.upper("a"), tostring(("abc"):find("b")),
                string.rep("r", 2), tostring(c:get("labs.inr")), tostring(type(table.insert)),
                tostring(math.floor(2.5)), tostring(zz_leaked)), 0)
        end,
        effect = { status = "recommended", text = "probe" },
    }

    """

/// Small limits keep the attacks fast; the shipped rules run well within them.
let attackLimits = EngineLimits(memoryBytes: 8 << 20, instructionsPerWindow: 200_000)

/// The first line where two documents differ, for messages that do not print both whole.
func firstDifference(_ a: String, _ b: String) -> String {
    let la = a.split(separator: "\n", omittingEmptySubsequences: false)
    let lb = b.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(la.count, lb.count) {
        let x = i < la.count ? String(la[i]) : "(end)"
        let y = i < lb.count ? String(lb[i]) : "(end)"
        if x != y { return "line \(i + 1): \(x.prefix(300)) vs \(y.prefix(300))" }
    }
    return "none"
}

/// A copy of Rules/ with the probe and the attack file added.
func rulesWithAttack(_ attackFile: String) throws -> String {
    let copy = try copyOfRules()
    try probeRuleFile.write(toFile: copy + "/rules/zz_a_probe.lua", atomically: true, encoding: .utf8)
    try attackFile.write(toFile: copy + "/rules/zz_attack.lua", atomically: true, encoding: .utf8)
    return copy
}

@Suite struct SandboxAttackTests {
    static let attacks: [Attack] = [
        // Reaching the system.
        Attack(
            name: "os.execute", body: #"return os.execute("touch /tmp/sacral-pwned") == 0"#,
            outcome: .error(line: 5, "global 'os'")),
        Attack(name: "io.open", body: #"return io.open("/etc/passwd") ~= nil"#, outcome: .error(line: 5, "global 'io'")),
        Attack(name: "require", body: #"return require("os") ~= nil"#, outcome: .error(line: 5, "global 'require'")),
        Attack(
            name: "package.loadlib", body: #"return package.loadlib("libc.so.6", "system") ~= nil"#,
            outcome: .error(line: 5, "global 'package'")),
        Attack(name: "debug.getinfo", body: "return debug.getinfo(1) ~= nil", outcome: .error(line: 5, "global 'debug'")),
        Attack(name: "debug.sethook", body: "debug.sethook(); return true", outcome: .error(line: 5, "global 'debug'")),
        Attack(name: "dofile", body: #"return dofile("/etc/passwd")"#, outcome: .error(line: 5, "global 'dofile'")),
        Attack(name: "loadfile", body: #"return loadfile("/etc/passwd")"#, outcome: .error(line: 5, "global 'loadfile'")),
        // Compiling code at run time.
        Attack(name: "load of source text", body: #"return load("return true")()"#, outcome: .error(line: 5, "global 'load'")),
        Attack(
            name: "load of a binary chunk", body: #"return load("\27LuaT\0\25\147\r\n\26\n")()"#,
            outcome: .error(line: 5, "global 'load'")),
        Attack(name: "string.dump", body: "return string.dump(function() end) ~= nil", outcome: .error(line: 5, "field 'dump'")),
        Attack(
            name: "string.dump as a method", body: #"return ("x").dump(function() end) ~= nil"#,
            outcome: .error(line: 5, "field 'dump'")),
        // Metatables and raw access.
        Attack(
            name: "getmetatable of the shared string metatable",
            body: #"getmetatable("").__index = { upper = function() return "pwned" end }; return true"#,
            outcome: .error(line: 5, "global 'getmetatable'")),
        Attack(
            name: "the string metatable through a string's __index",
            body: #"local m = ("").__index; m.upper = nil; return true"#,
            outcome: .error(line: 5, "attempt to index a nil value")),
        Attack(
            name: "setmetatable on the environment", body: "setmetatable(_ENV, nil); return true",
            outcome: .error(line: 5, "global 'setmetatable'")),
        Attack(
            name: "rawset into the string library", body: #"rawset(string, "upper", nil); return true"#,
            outcome: .error(line: 5, "global 'rawset'")),
        Attack(name: "collectgarbage", body: #"collectgarbage("stop"); return true"#, outcome: .error(line: 5, "global 'collectgarbage'")),
        Attack(
            name: "coroutine.wrap", body: "return coroutine.wrap(function() end) ~= nil", outcome: .error(line: 5, "global 'coroutine'")),
        // Runaway code.
        Attack(name: "infinite loop", body: "while true do end", outcome: .instructionLimit(line: 5)),
        Attack(
            name: "infinite loop inside pcall", body: "pcall(function() while true do end end); return true",
            outcome: .instructionLimit(line: 5)),
        Attack(
            name: "pcall retried after the budget ran out",
            body: "while not pcall(function() while true do end end) do end; return true",
            outcome: .instructionLimit(line: 5)),
        Attack(
            name: "xpcall with a handler that swallows the stop",
            body: "while true do xpcall(function() while true do end end, function() return true end) end",
            outcome: .instructionLimit(line: 5)),
        Attack(
            name: "unbounded recursion", body: "local function f(n) return f(n + 1) + 1 end; return f(1) > 0",
            outcome: .anyLimit),
        // Charged to the window before it allocates: the work budget stops it, else the memory cap would.
        Attack(name: "string.rep of a gigabyte", body: "return #string.rep('x', 1 << 30) > 0", outcome: .instructionLimitOrMemory(line: 5)),
        // Work the count hook cannot see: each call does O(n) in C, the loop stays within its instructions.
        Attack(
            name: "table.insert at the front of a large table",
            body: "local t = {}; for i = 1, 100000 do t[i] = i end; for i = 1, 100000 do table.insert(t, 1, i) end; return true",
            outcome: .instructionLimitOrMemory(line: 5)),
        Attack(
            name: "concatenating a large string over and over",
            body: "local big = string.rep('x', 1000000); local s; for i = 1, 100000 do s = big .. i end; return #s > 0",
            outcome: .anyLimit),
        Attack(
            name: "plain find over megabytes, repeatedly",
            body: "local s = string.rep('a', 3000000); for i = 1, 1000 do s:find('b', 1, true) end; return true",
            outcome: .instructionLimitOrMemory(line: 5)),
        Attack(
            name: "table growing without end", body: "local t = {}; while true do t[#t + 1] = { #t } end",
            outcome: .instructionLimitOrMemory(line: 5)),
        Attack(
            name: "table of strings growing past the memory cap",
            body: "local t, s = {}, string.rep('x', 4096); while true do t[#t + 1] = s .. #t end",
            outcome: .memory),
        Attack(
            name: "error with a table value", body: "error({ status = 'recommended' })",
            outcome: .error(line: 1, "(error object is a table value)")),
        Attack(name: "error with nil", body: "error(nil)", outcome: .error(line: 1, "(error object is a nil value)")),
        // A long message once made the runtime's own bookkeeping fail (the guarded string.find refused
        // it), and the failing rule vanished from the failures.
        Attack(
            name: "error with a 100 kB message", body: #"error(string.rep("long ", 20000), 0)"#,
            outcome: .error(line: 5, "long long long")),
        Attack(
            name: "error with a 100 kB message and a position", body: #"error(string.rep("long ", 20000))"#,
            outcome: .error(line: 5, "(message cut)")),
        // Patterns whose backtracking no instruction count can interrupt.
        Attack(
            name: "string.find with nested lazy quantifiers",
            body: #"return string.find(string.rep("a", 50000), ".-.-.-.-b") ~= nil"#,
            outcome: .error(line: 5, "string.find refused")),
        Attack(
            name: "string.match with lazy captures",
            body: #"return string.match(string.rep("a", 5000), "(.-)(.-)(.-)b") ~= nil"#,
            outcome: .error(line: 5, "string.match refused")),
        Attack(
            name: "string.gsub with lazy quantifiers",
            body: #"return string.gsub(string.rep("a", 5000), "a-a-a-b", "") ~= nil"#,
            outcome: .error(line: 5, "string.gsub refused")),
        Attack(
            name: "string.gmatch as a method", body: #"for _ in (string.rep("a", 20000)):gmatch("a*a*a*b") do end; return true"#,
            outcome: .error(line: 5, "string.gmatch refused")),
        Attack(
            name: "balanced match over a megabyte",
            body: #"return string.find(string.rep("(", 1000000), "%b()") ~= nil"#,
            outcome: .error(line: 5, "string.find refused")),
        Attack(
            name: "back-reference over a long subject",
            body: #"return string.find(string.rep("a", 9000) .. "b", "(a-)%1%1%1%1c") ~= nil"#,
            outcome: .error(line: 5, "string.find refused")),
        // A reason text of 10 MB: more than the state may hold.
        Attack(
            name: "10 MB reason text", body: "return true", outcome: .memory,
            text: "function(c) return string.rep('reason ', 10 * 1024 * 1024 // 7) end"),
    ]

    @Test(arguments: attacks)
    func evaluationTimeAttackFailsClosedWithItsLocation(attack: Attack) throws {
        let rules = try rulesWithAttack(attack.ruleFile)
        let engine = try makeEngine(rules: rules, limits: attackLimits)
        let decision = engine.evaluate(try engine.load(path: try temporaryFile(caseYAML(id: "attacked"))))

        let status = decision.status(of: "sacroplasty")
        #expect(status != nil && status != .recommended && status != .option, "sacroplasty is \(status?.rawValue ?? "absent")")
        let failure = try #require(decision.failures.first { $0.rule == "zz.attack" }, "no failure: \(decision.failures)")
        #expect(failure.pathways == ["sacroplasty"])
        #expect(failure.message.contains("rules/zz_attack.lua:"), "\(failure.message)")
        switch attack.outcome {
        case .error(let line, let text):
            #expect(failure.kind == "error")
            #expect(failure.message.contains("rules/zz_attack.lua:\(line): "), "\(failure.message)")
            #expect(failure.message.contains(text), "\(failure.message)")
        case .instructionLimit(let line):
            #expect(failure.kind == "instruction_limit")
            #expect(failure.message.contains("rules/zz_attack.lua:\(line): instruction limit exceeded"), "\(failure.message)")
        case .memory:
            #expect(failure.kind == "memory")
            #expect(failure.message.contains("rules/zz_attack.lua:1: not enough memory"), "\(failure.message)")
        case .anyLimit:
            let stopped = failure.kind == "memory" || failure.kind == "instruction_limit" || failure.message.contains("stack overflow")
            #expect(stopped, "\(failure.kind): \(failure.message)")
        case .instructionLimitOrMemory(let line):
            if failure.kind == "instruction_limit" {
                #expect(failure.message.contains("rules/zz_attack.lua:\(line): instruction limit exceeded"))
            } else {
                #expect(failure.kind == "memory", "\(failure.kind): \(failure.message)")
                #expect(failure.message.contains("not enough memory"))
            }
        }
        // The failure is in the output document too, and the pathway's reasons say why.
        #expect(decision.document.serialized().contains("\"rule\": \"zz.attack\""))

        // The next case in the same engine is evaluated as a fresh engine evaluates it.
        try expectNextCaseUnaffected(engine: engine, rules: rules)
    }

    /// Attacks on state shared between rules and between cases: each write is refused with the
    /// rule's file and line, and the next case cannot tell that it happened.
    static let isolationAttacks: [Attack] = [
        Attack(
            name: "a global written while evaluating", body: "zz_leaked = true; return false",
            outcome: .error(line: 5, "may not set the global 'zz_leaked'")),
        Attack(
            name: "a global written through _ENV", body: #"_ENV["zz_leaked"] = true; return false"#,
            outcome: .error(line: 5, "may not set the global 'zz_leaked'")),
        Attack(
            name: "a helper library function replaced", body: #"string.upper = function() return "pwned" end; return false"#,
            outcome: .error(line: 5, "'string' is read-only")),
        Attack(
            name: "table.insert removed", body: "table.insert = nil; return false",
            outcome: .error(line: 5, "'table' is read-only")),
        Attack(
            name: "a helper-library table reached through pairs()",
            body: #"local _, raw = pairs(string); raw.upper = function() return "pwned" end; return false"#,
            outcome: .error(line: 5, "attempt to index a nil value")),
        Attack(
            name: "math reached through pairs()",
            body: "local _, raw = pairs(math); raw.floor = function() return 0 end; return false",
            outcome: .error(line: 5, "attempt to index a nil value")),
        Attack(
            name: "a use()d table written", body: #"use("thresholds").inr_max = 99; return false"#,
            outcome: .error(line: 5, "'thresholds' is read-only")),
        Attack(
            name: "a nested use()d table written", body: #"use("primaries").breast.zz = 1; return false"#,
            outcome: .error(line: 5, "'primaries' is read-only")),
        Attack(
            name: "a use()d table reached through pairs()",
            body: #"local _, raw = pairs(use("thresholds")); raw.inr_max = 99; raw.zz = 1; return false"#,
            outcome: .error(line: 5, "attempt to index a nil value")),
        Attack(
            name: "a nested use()d table reached through pairs()",
            body: #"local _, raw = pairs(use("primaries").breast); raw.zz = 1; return false"#,
            outcome: .error(line: 5, "attempt to index a nil value")),
        Attack(
            name: "a shared function table written", body: #"use("facts").epidural = function() return false end; return false"#,
            outcome: .error(line: 5, "'facts' is read-only")),
        Attack(
            name: "the context's methods replaced", body: "c.__index.get = function() return 99 end; return false",
            outcome: .error(line: 5, "attempt to index a nil value")),
        Attack(
            name: "define() while evaluating", body: #"define("thresholds", { inr_max = 99 }); return false"#,
            outcome: .error(line: 5, "define() is a load-time declaration")),
        Attack(
            name: "a rule declared while evaluating",
            body:
                #"rule { id = "zz.late", pathways = { "sacroplasty" }, source = "knowledge-base", effect = { status = "recommended" } }; return false"#,
            outcome: .error(line: 5, "rule{} is a load-time declaration")),
    ]

    @Test(arguments: isolationAttacks)
    func writeToSharedStateIsRefusedAndInvisibleToTheNextCase(attack: Attack) throws {
        let rules = try rulesWithAttack(attack.ruleFile)
        let engine = try makeEngine(rules: rules, limits: attackLimits)
        let decision = engine.evaluate(try engine.load(path: try temporaryFile(caseYAML(id: "attacked"))))
        // Nothing was rebuilt: the very same state serves the next case, and it must not show.
        #expect(engine.rebuilds == 0)
        try expectNextCaseUnaffected(engine: engine, rules: rules)

        let failure = try #require(decision.failures.first { $0.rule == "zz.attack" }, "no failure: \(decision.failures)")
        guard case .error(let line, let text) = attack.outcome else {
            Issue.record("not an error outcome")
            return
        }
        #expect(failure.kind == "error")
        #expect(failure.message.contains("rules/zz_attack.lua:\(line): "), "\(failure.message)")
        #expect(failure.message.contains(text), "\(failure.message)")
        let status = decision.status(of: "sacroplasty")
        #expect(status != .recommended && status != .option)
    }

    /// The probe reports what it sees; in a clean state that is the shipped values.
    @Test func probeSeesTheUntouchedLibraries() throws {
        let rules = try rulesWithAttack(Attack(name: "harmless", body: "return false", outcome: .memory).ruleFile)
        let engine = try makeEngine(rules: rules, limits: attackLimits)
        let decision = engine.evaluate(try engine.load(path: try temporaryFile(caseYAML())))
        let probe = try #require(decision.failures.first { $0.rule == "zz.probe" })
        // The threshold as Rules/thresholds.lua sets it, and its keys (whatever the rules author names them).
        let shape = try Regex(#"probe: inr_max=[0-9.]+ keys=[a-z_0-9,]*inr_max[a-z_0-9,]* upper="#)
        #expect(probe.message.contains(shape), "\(probe.message)")
        #expect(probe.message.contains("upper=A find=2 rep=rr inr=1.1 insert=function floor=2 global=nil"), "\(probe.message)")
        #expect(!probe.message.contains(",zz ") && !probe.message.contains("=zz "), "\(probe.message)")  // the key an attack would add
        #expect(decision.failures.map(\.rule) == ["zz.probe"])
    }

    /// Two cases in a row in the attacked engine: the second must come out byte for byte as a fresh
    /// engine (same rules) gives it.
    private func expectNextCaseUnaffected(
        engine: Engine, rules: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let next = try temporaryFile(
            caseYAML(id: "following", ["labs": "labs: { inr: 1.3, platelets: 150, coagulopathy_correctable: true }"]))
        let decision = engine.evaluate(try engine.load(path: next))
        let after = decision.document.serialized()
        let fresh = try makeEngine(rules: rules, limits: attackLimits)
        let expected = fresh.evaluate(try fresh.load(path: next)).document.serialized()
        let same = after == expected
        #expect(
            same,
            """
            the case after the attack differs from a fresh engine's: \(firstDifference(after, expected)); \
            its failures: \(decision.failures.map { "\($0.rule) \($0.kind): \($0.message)" })
            """,
            sourceLocation: sourceLocation)
    }
}

/// Attacks in a rule file's top-level code run while the rules load: the engine refuses to start,
/// naming the file and (where Lua knows it) the line.
@Suite struct LoadTimeAttackTests {
    struct LoadAttack: Sendable, CustomTestStringConvertible {
        var name: String
        /// Lua on line 3 of the file.
        var code: String
        /// What the RuleSetError's message must contain after the file's path.
        var expected: String
        var testDescription: String { name }
    }

    static let attacks: [LoadAttack] = [
        LoadAttack(
            name: "os.execute at top level", code: #"os.execute("touch /tmp/sacral-pwned")"#,
            expected: "rules/zz_attack.lua:3: attempt to index a nil value (global 'os')"),
        LoadAttack(
            name: "io.open at top level", code: #"local f = io.open("/etc/passwd")"#,
            expected: "rules/zz_attack.lua:3: attempt to index a nil value (global 'io')"),
        LoadAttack(
            name: "require at top level", code: #"local os = require("os")"#,
            expected: "rules/zz_attack.lua:3: attempt to call a nil value (global 'require')"),
        LoadAttack(
            name: "load at top level", code: #"local f = load("return 1")"#,
            expected: "rules/zz_attack.lua:3: attempt to call a nil value (global 'load')"),
        LoadAttack(
            name: "infinite loop at top level", code: "while true do end",
            expected: "rules/zz_attack.lua:3: instruction limit exceeded"),
        LoadAttack(
            name: "infinite loop in pcall at top level", code: "while not pcall(function() while true do end end) do end",
            expected: "rules/zz_attack.lua:3: instruction limit exceeded"),
        LoadAttack(
            name: "a shared library table overwritten at top level", code: #"string.format = function() return "" end"#,
            expected: "rules/zz_attack.lua:3: 'string' is read-only"),
        LoadAttack(
            name: "a shared library table reached through pairs() at top level",
            code: "local _, raw = pairs(string); raw.format = nil",
            expected: "rules/zz_attack.lua:3: attempt to index a nil value (local 'raw')"),
        LoadAttack(
            name: "a shared table redefined at top level", code: #"define("primaries", {})"#,
            expected: "rules/zz_attack.lua:3: 'primaries' defined twice"),
        LoadAttack(
            name: "a shipped rule redeclared at top level",
            code:
                #"rule { id = "sacroplasty.coagulopathy", pathways = { "sacroplasty" }, source = "knowledge-base", effect = { status = "recommended" } }"#,
            expected: "rules/zz_attack.lua:3: rule 'sacroplasty.coagulopathy' declared twice"),
        LoadAttack(
            name: "memory exhausted at top level",
            code: "local t, s = {}, string.rep('x', 4096); while true do t[#t + 1] = s .. #t end",
            expected: "rules/zz_attack.lua: not enough memory"),
        LoadAttack(
            name: "a gigabyte string at top level", code: "local s = string.rep('x', 1 << 30)",
            expected: "rules/zz_attack.lua:3: instruction limit exceeded"),
        LoadAttack(
            name: "error with a table value at top level", code: "error({})",
            expected: "rules/zz_attack.lua: (error object is a table value)"),
    ]

    @Test(arguments: attacks)
    func topLevelAttackStopsTheEngineFromLoading(attack: LoadAttack) throws {
        let rules = try rulesWithAttack("-- an attack in top-level code\nlocal x = 1\n\(attack.code)\nreturn x\n")
        #expect {
            _ = try makeEngine(rules: rules, limits: attackLimits)
        } throws: { error in
            let message = (error as? RuleSetError)?.message ?? "not a RuleSetError: \(error)"
            let matches = message.contains(attack.expected)
            if !matches { Issue.record("message: \(message)") }
            return matches
        }
    }

    @Test func binaryChunkAsARuleFileIsRefusedWithItsName() throws {
        let rules = try rulesWithAttack("\u{1B}LuaT\u{0}\u{19}\r\n\u{1A}\nreturn 1\n")
        #expect {
            _ = try makeEngine(rules: rules, limits: attackLimits)
        } throws: { error in
            let message = (error as? RuleSetError)?.message ?? ""
            return message.contains("rules/zz_attack.lua: ") && message.contains("attempt to load a binary chunk")
        }
    }

    @Test func engineStillLoadsTheShippedRulesWithinTheAttackLimits() throws {
        let engine = try makeEngine(limits: attackLimits)
        let decision = engine.evaluate(try engine.load(path: try temporaryFile(caseYAML())))
        #expect(decision.failures.isEmpty, "\(decision.failures)")
    }
}
