import Foundation
import LuaKit
import Testing

@testable import SacralEngine

// The attacks of issue 8 that live in the C boundary, LuaKit, case input and the command line's
// JSON Lines reader, each tried as an attacker would and shown defeated. Each test names the class
// of attack it stands for. (SandboxAttackTests holds the attacks on the sandbox itself.)

/// Time bounds stretch under AddressSanitizer (scripts/test.sh runs the suite there too); today's
/// main takes from 7 s to minutes for each attack they bound.
private let slowdown: Double = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil ? 4 : 1

/// A copy of Rules/ with one hostile rule file added, rules/zz_adversary.lua.
private func rulesWithAdversary(_ file: String) throws -> String {
    let copy = try copyOfRules()
    try file.write(toFile: copy + "/rules/zz_adversary.lua", atomically: true, encoding: .utf8)
    return copy
}

/// A rule that speaks to sacroplasty with `recommended` and runs `body` (line 5) as its condition.
private func adversaryRule(id: String = "zz.adversary", _ body: String, text: String = #""adversary""#) -> String {
    """
    rule {
        id = "\(id)", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
        status = "recommended",
        when = function(c)
            \(body)
        end,
        effect = { status = "recommended", text = \(text) },
    }

    """
}

/// Evaluates the standard test case with the adversary and returns the decision and the seconds it took.
private func evaluateWithAdversary(_ file: String, limits: EngineLimits) throws -> (Decision, Double) {
    let engine = try makeEngine(rules: try rulesWithAdversary(file), limits: limits)
    let validated = try engine.load(path: try temporaryFile(caseYAML(id: "adversary")))
    let clock = ContinuousClock()
    var decision: Decision?
    let elapsed = clock.measure { decision = engine.evaluate(validated) }
    return (decision!, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
}

/// The calling thread's CPU seconds.
private func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// What the threads of a concurrent test report, behind a lock.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var walls: [Double] = []
    private var documents: [String] = []
    func add(wall: Double, document: String) {
        lock.withLock {
            walls.append(wall)
            documents.append(document)
        }
    }
    var all: ([Double], [String]) { lock.withLock { (walls, documents) } }
}

/// The adversary failed, and its pathway is neither recommended nor an option (fail closed).
private func expectFailedClosed(
    _ decision: Decision, kinds: Set<FailureKind>, rule: String = "zz.adversary",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let failure = decision.failures.first { $0.rule == rule }
    #expect(failure != nil, "the rule did not fail: \(decision.failures)", sourceLocation: sourceLocation)
    if let failure {
        #expect(kinds.contains(failure.kind), "\(failure.kind): \(failure.message)", sourceLocation: sourceLocation)
    }
    let status = decision.status(of: "sacroplasty")
    #expect(status?.isFavourable != true, "sacroplasty is \(status?.rawValue ?? "absent")", sourceLocation: sourceLocation)
}

@Suite struct AdversarialTests {
    // MARK: - Limits that do not fail closed

    /// Class: limits that do not fail closed — the memory cap's error caught by the rule's own pcall.
    @Test func memoryCapCaughtByTheRulesOwnPcallStillStopsTheRule() throws {
        let body =
            #"local ok = pcall(function() local t, s = {}, string.rep("x", 500000); while true do t[#t + 1] = s .. #t end end); return not ok"#
        let (decision, _) = try evaluateWithAdversary(
            adversaryRule(body),
            limits: EngineLimits(memoryBytes: 8 << 20, instructionsPerWindow: 1_000_000))
        expectFailedClosed(decision, kinds: ["memory"])
    }

    /// Class: C work that nothing charges — each call does work in C that the count hook cannot see.
    static let unchargedWork: [(String, String)] = [
        (
            "equality of two megabyte strings",
            #"local a, b = string.rep("x", 7 << 20), string.rep("x", 7 << 20); local n = 0; while true do if a == b then n = n + 1 end end"#
        ),
        (
            "ordering of two megabyte strings",
            #"local a, b = string.rep("x", 6 << 20) .. "a", string.rep("x", 6 << 20) .. "b"; local n = 0; while true do if a < b then n = n + 1 end end"#
        ),
        (
            "string.unpack z over a long string",
            #"local s = string.rep("a", 1000000); while true do pcall(string.unpack, "z", s) end"#
        ),
        (
            "table.unpack with string bounds",
            ##"local t = {}; while true do select("#", table.unpack(t, "1", "500000")) end"##
        ),
        (
            "literal find that is quadratic",
            #"local s, p = string.rep("a", 50000), string.rep("a", 999) .. "b"; while true do s:find(p, 1, true) end"#
        ),
        (
            "literal match that is quadratic",
            #"local s, p = string.rep("a", 50000), string.rep("a", 999) .. "b"; while true do s:match(p) end"#
        ),
        (
            "tonumber of a huge string",
            #"local s = string.rep("1", 1000000); while true do tonumber(s) end"#
        ),
        (
            "table.sort with a runtime function as comparator",
            #"local t = {}; for i = 1, 200000 do t[i] = (i * 7919) % 100003 end; while true do table.sort(t, function(a, b) return a > b end) end"#
        ),
        (
            "table.sort with an inconsistent runtime comparator",
            #"local t = {}; for i = 1, 200000 do t[i] = i end; while true do pcall(table.sort, t, function() return true end) end"#
        ),
        (
            "arithmetic on a huge numeric string",
            #"local s = string.rep("1", 1000000); while true do local _ = s + 0 end"#
        ),
    ]

    @Test(arguments: unchargedWork.indices)
    func cWorkIsChargedOrBounded(index: Int) throws {
        let (name, body) = Self.unchargedWork[index]
        // The shipped limits: the budget a real deployment gives each rule call.
        let (decision, seconds) = try evaluateWithAdversary(adversaryRule(body), limits: EngineLimits())
        expectFailedClosed(decision, kinds: ["instruction_limit", "memory"])
        // Today's main spends from seconds to minutes in each of these.
        #expect(seconds < 5 * slowdown, "\(name): \(seconds) s")
    }

    /// Class: no budget per case — many rules each running just under their own budget.
    @Test func aCaseHasOneInstructionBudgetForAllItsRules() throws {
        var file = ""
        for i in 1...60 {
            file += adversaryRule(id: "zz.spin\(i)", "local n = 0; for i = 1, 40000 do n = n + i end; return n > 0")
        }
        let limits = EngineLimits(memoryBytes: 32 << 20, instructionsPerWindow: 200_000, instructionsPerCase: 2_000_000)
        let (decision, _) = try evaluateWithAdversary(file, limits: limits)
        let stopped = decision.failures.filter { $0.message.contains("case budget exceeded") }
        #expect(!stopped.isEmpty, "no rule was stopped by the case budget: \(decision.failures.map(\.message))")
        #expect(stopped.allSatisfy { $0.kind == "instruction_limit" })
        let status = decision.status(of: "sacroplasty")
        #expect(status?.isFavourable != true, "sacroplasty is \(status?.rawValue ?? "absent")")
    }

    /// Class: no budget per case — one looping per-lesion rule on the largest case the field
    /// dictionary admits runs once per lesion, each run under the one budget of the case.
    @Test func aLoopingPerLesionRuleOnTheLargestCaseIsBoundedByTheCaseBudget() throws {
        let file = """
            rule {
                id = "zz.adversary", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended", per_lesion = true,
                when = function(c) local n = 0; while true do n = n + 1 end end,
                effect = { status = "recommended", text = "adversary" },
            }

            """
        let engine = try makeEngine(rules: try rulesWithAdversary(file), limits: EngineLimits())
        let maxItems = try #require(engine.dictionary["lesions"]?.maxItems)
        let lesion = "  - { id: L%d, levels: [S2], zones: [1], side: left, diameter_cm: 2.5, epidural: \"0\", irradiated: true }\n"
        let lesions = "lesions:\n" + (1...maxItems).map { String(format: lesion, $0) }.joined()
        let validated = try engine.load(path: try temporaryFile(caseYAML(id: "many-lesions", ["lesions": lesions])))
        let clock = ContinuousClock()
        var decision: Decision?
        let elapsed = clock.measure { decision = engine.evaluate(validated) }
        let failures = decision!.failures.filter { $0.rule == "zz.adversary" }
        #expect(!failures.isEmpty, "the looping rule did not fail")
        #expect(failures.allSatisfy { $0.kind == "instruction_limit" }, "\(failures.map(\.message))")
        // Past the case budget every later lesion's run stops at its first instruction.
        #expect(failures.contains { $0.message.contains("case budget exceeded") }, "\(failures.map(\.message))")
        let status = decision!.status(of: "sacroplasty")
        #expect(status?.isFavourable != true, "sacroplasty is \(status?.rawValue ?? "absent")")
        let perLesion = decision!.pathways.first { $0.id == "sacroplasty" }?.lesions
        #expect(perLesion?.count == maxItems, "\(perLesion?.count ?? 0) lesions decided")
        #expect(elapsed < .seconds(10 * slowdown), "\(elapsed)")
    }

    /// Class: no budget per case — CPU time, for work no count sees (a VM instruction comparing
    /// two long strings).
    @Test func aCaseHasATimeBudget() throws {
        let body =
            #"local a, b = string.rep("x", 1000000), string.rep("x", 1000000); local n = 0; while true do if a == b then n = n + 1 end end"#
        let limits = EngineLimits(memoryBytes: 32 << 20, instructionsPerWindow: 50_000_000, instructionsPerCase: 0, secondsPerCase: 0.5)
        let (decision, seconds) = try evaluateWithAdversary(adversaryRule(body), limits: limits)
        expectFailedClosed(decision, kinds: ["instruction_limit"])
        #expect(decision.failures.contains { $0.message.contains("case budget exceeded") })
        #expect(seconds < 3 * slowdown, "\(seconds) s")
    }

    /// The seconds of a case are its thread's CPU seconds: cases evaluated on more threads than
    /// there are cores wait for a core, longer on the wall than their budget, and are decided as
    /// on an idle machine (under a wall-clock budget every one of them failed closed).
    @Test func timeSpentWaitingForACoreIsNotChargedToTheCase() throws {
        let rules = try rulesWithAdversary(adversaryRule("local x = 0; for i = 1, 8000000 do x = x + i end; return x < 0"))
        let path = try temporaryFile(caseYAML(id: "busy"))
        let unbounded = EngineLimits(instructionsPerWindow: 50_000_000, instructionsPerCase: 0, secondsPerCase: 0)
        let probe = try makeEngine(rules: rules, limits: unbounded)
        let validated = try probe.load(path: path)
        _ = probe.evaluate(validated)
        let before = threadCPUSeconds()
        let reference = probe.evaluate(validated).document.serialized()
        let budget = 2.5 * (threadCPUSeconds() - before)
        let limits = EngineLimits(instructionsPerWindow: 50_000_000, instructionsPerCase: 0, secondsPerCase: budget)

        let threads = 6 * ProcessInfo.processInfo.activeProcessorCount
        let results = Results()
        let ready = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<threads {
            ready.enter()
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                let engine = try? makeEngine(rules: rules, limits: limits)
                ready.leave()
                guard let engine else { return }
                start.wait()
                let began = Date()
                let decision = engine.evaluate(validated)
                results.add(wall: Date().timeIntervalSince(began), document: decision.document.serialized())
            }
        }
        ready.wait()
        for _ in 0..<threads { start.signal() }
        done.wait()

        let (walls, documents) = results.all
        #expect(documents.count == threads)
        #expect(documents.allSatisfy { $0 == reference }, "a case decided differently on a busy machine")
        // Otherwise the machine had a core for every thread and the test showed nothing.
        #expect(walls.contains { $0 > budget }, "no case waited: \(walls) against \(budget) s")
    }

    // MARK: - Output that is not deterministic

    /// Class: output that is not deterministic — tostring of tables and functions exposes an address.
    @Test func tostringOfObjectsHasNoAddress() throws {
        let text =
            #"function() return tostring({}) .. " " .. tostring(function() end) .. " " .. string.format("%s %5s", {}, print or type) end"#
        let file = adversaryRule("return true", text: text)
        var texts = Set<String>()
        for _ in 0..<3 {
            let (decision, _) = try evaluateWithAdversary(file, limits: EngineLimits())
            texts.insert(decision.document.serialized())
            #expect(decision.document.serialized().contains("table function table function"))
        }
        #expect(texts.count == 1)
        let (refused, _) = try evaluateWithAdversary(adversaryRule(#"return string.format("%p", {}) ~= nil"#), limits: EngineLimits())
        expectFailedClosed(refused, kinds: ["error"])
    }

    /// Class: output that is not deterministic — pairs over string keys in hash order (seeded per state).
    @Test func pairsVisitsKeysInADefinedOrder() throws {
        let text = #"""
            function()
                local t = { [2] = 1, [1.5] = 1, [true] = 1, [-3] = 1 }
                for i = 1, 30 do t["k" .. i] = i end
                local out = {}
                for k in pairs(t) do out[#out + 1] = tostring(k) end
                local n, k = 0, nil
                repeat k = next(t, k); n = n + 1 until k == nil
                return table.concat(out, ",") .. " n=" .. n
            end
            """#
        let file = adversaryRule("return true", text: text)
        var expected = ["-3", "1.5", "2"] + (1...30).map { "k\($0)" }.sorted()
        expected.append("true")
        var texts = Set<String>()
        for _ in 0..<8 {
            let (decision, _) = try evaluateWithAdversary(file, limits: EngineLimits())
            let document = decision.document.serialized()
            texts.insert(document)
            #expect(document.contains(expected.joined(separator: ",") + " n=35"), "\(document.prefix(2000))")
        }
        #expect(texts.count == 1)
        // A table keyed by tables has no defined order: iterating it is refused.
        let (refused, _) = try evaluateWithAdversary(
            adversaryRule("local t = { [{}] = 1, [{}] = 2 }; for k in pairs(t) do end; return true"), limits: EngineLimits())
        expectFailedClosed(refused, kinds: ["error"])
    }

    // MARK: - Input and memory

    /// Class: output that is not deterministic — a top-level key "labs.inr" beside labs: { inr: … }.
    @Test func dottedKeysAreRefused() throws {
        let engine = try makeEngine()
        let json = #"{"id": "dotted", "labs.inr": 9.9, "labs": {"inr": 1.1}, "lesions": [{"id": "L1"}]}"#
        #expect {
            _ = try engine.load(path: try temporaryFile(json, ext: "json"))
        } throws: { error in
            guard case .invalid(let invalid) = error as? CaseLoadError else { return false }
            return invalid.issues.contains { $0.path == "labs.inr" && $0.message.contains("may not") }
        }
    }

    /// Class: input and memory — a case with thousands of lesions is an input error, at once.
    @Test func lesionCountIsBoundedByTheFieldDictionary() throws {
        let engine = try makeEngine()
        let field = try #require(engine.dictionary["lesions"])
        let maxItems = try #require(field.maxItems, "Rules/fields.lua declares no max_items for lesions")
        let lesion = "  - { id: L%d, levels: [S2], zones: [1], diameter_cm: 2.5 }\n"
        let lesions = "lesions:\n" + (1...3000).map { String(format: lesion, $0) }.joined()
        let path = try temporaryFile(caseYAML(id: "many", ["lesions": lesions]))
        let clock = ContinuousClock()
        var thrown: CaseLoadError?
        let elapsed = clock.measure {
            do { _ = try engine.load(path: path) } catch { thrown = error as? CaseLoadError }
        }
        guard case .invalid(let invalid)? = thrown else {
            Issue.record("accepted: \(String(describing: thrown))")
            return
        }
        #expect(
            invalid.issues.contains { $0.path == "lesions" && $0.message.contains("at most \(maxItems) items, got 3000") },
            "\(invalid.issues)")
        #expect(elapsed < .seconds(3 * slowdown))
    }

    /// Class: input and memory — an integer out of range is quoted exactly as written.
    @Test(arguments: ["json", "yaml"])
    func integerOutOfRangeIsQuotedExactly(format: String) throws {
        let engine = try makeEngine()
        let big = "123456789012345678901234567890"
        let text =
            format == "json"
            ? #"{"id": "big", "labs": {"platelets": \#(big)}, "lesions": [{"id": "L1"}]}"#
            : caseYAML(id: "big", ["labs": "labs: { inr: 1.1, platelets: \(big) }"])
        #expect {
            _ = try engine.load(path: try temporaryFile(text, ext: format))
        } throws: { error in
            let message = (error as? CaseLoadError)?.description ?? "\(error)"
            let ok = message.contains(big) && message.contains("labs.platelets") && message.contains("out of range")
            if !ok { Issue.record("\(message)") }
            return ok
        }
    }

    /// Class: input and memory — a number with more digits than a double holds is not silently rounded.
    @Test(arguments: ["json", "yaml"])
    func numberWithMoreDigitsThanADoubleIsReported(format: String) throws {
        let engine = try makeEngine()
        let long = "1.50000000000000000001"
        let text =
            format == "json"
            ? #"{"id": "long", "labs": {"inr": \#(long)}, "lesions": [{"id": "L1"}]}"#
            : caseYAML(id: "long", ["labs": "labs: { inr: \(long), platelets: 100 }"])
        #expect {
            _ = try engine.load(path: try temporaryFile(text, ext: format))
        } throws: { error in
            let message = (error as? CaseLoadError)?.description ?? "\(error)"
            let ok = message.contains(long) && message.contains("labs.inr") && message.contains("more digits")
            if !ok { Issue.record("\(message)") }
            return ok
        }
        // Numbers a double holds exactly as written are read as before.
        for exact in ["1.5", "0.1", "1e-5", "2.50", "-0.0", "12345678901234567"] {
            #expect(NumberText.problem(exact) == nil, "\(exact)")
        }
    }

    /// Class: output that says what no rule decided — a NUL or an escape sequence from JSON input.
    @Test(arguments: [#"a\u0000b"#, #"\u001b[2J forged"#, #"bell\u0007"#, #"c1\u009b31m"#])
    func controlCharactersInCaseTextAreRefused(escaped: String) throws {
        let engine = try makeEngine()
        let json = #"{"id": "ctl", "title": "\#(escaped)", "lesions": [{"id": "L1"}]}"#
        #expect {
            _ = try engine.load(path: try temporaryFile(json, ext: "json"))
        } throws: { error in
            let message = (error as? CaseLoadError)?.description ?? ""
            return message.contains("title: a string holds the control character U+")
        }
        let key = #"{"id": "ctl", "ti\u001btle": "x", "lesions": [{"id": "L1"}]}"#
        #expect(throws: CaseLoadError.self) { _ = try engine.load(path: try temporaryFile(key, ext: "json")) }
    }

    /// Class: input and memory — a Lua string referenced many times becomes one Swift copy per reference.
    @Test func oneBoundOnTheSizeOfAResultAndOneSwiftStringPerLuaString() throws {
        let state = try LuaState()
        let shared = try state.compile(
            #"local s = string.rep("x", 1000000); local t = {}; for i = 1, 40 do t[i] = s end; return t"#,
            chunkName: "=shared")
        let value = try state.call(shared)
        let items = try #require(value.tableValue?.array)
        #expect(items.count == 40)
        // One Swift string, shared by every reference.
        var addresses = Set<UInt>()
        for case .string(var s) in items {
            _ = s.withUTF8 { addresses.insert(UInt(bitPattern: $0.baseAddress)) }
        }
        #expect(addresses.count == 1)
        // Three thousand references to a megabyte are three gigabytes of output: refused.
        let huge = try state.compile(
            #"local s = string.rep("x", 1000000); local t = {}; for i = 1, 3000 do t[i] = s end; return t"#,
            chunkName: "=huge")
        #expect {
            _ = try state.call(huge)
        } throws: { error in
            (error as? LuaError)?.kind == .conversion && "\(error)".contains("larger than")
        }
    }

    /// Class: input and memory — a JSON Lines line that never ends is read in linear time and
    /// refused with an error line; the lines after it are still evaluated.
    @Test(.enabled(if: sacralBinaryExists)) func jsonLinesLineThatNeverEndsIsBoundedAndLinear() throws {
        let long = Data(#"{"id": "x", "title": ""#.utf8) + Data(repeating: UInt8(ascii: "a"), count: 12 << 20)
        let path = scratchPath("long", ext: "jsonl")
        var data = long
        data.append(UInt8(ascii: "\n"))
        data.append(Data(#"{"id": "second", "lesions": [{"id": "L1"}]}"#.utf8))
        data.append(UInt8(ascii: "\n"))
        try data.write(to: URL(fileURLWithPath: path))
        let clock = ContinuousClock()
        var run: CLIRun?
        let elapsed = try clock.measure { run = try runSacral(["evaluate", "--jsonl", path, "--rules", shippedRules]) }
        let result = try #require(run)
        #expect(elapsed < .seconds(8 * slowdown), "\(elapsed)")
        #expect(result.status == 2)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""line":1"#) == true && lines.first?.contains("longer than") == true, "\(lines.first ?? "")")
        #expect(lines.last?.contains("second") == true)
    }
}
