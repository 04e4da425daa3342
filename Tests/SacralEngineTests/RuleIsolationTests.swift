import Foundation
import Testing

@testable import SacralEngine

// The attacks of issue 8 in which one rule file changes what another rule, or the next case,
// decides, or makes the output say what no rule decided; each tried as an attacker would, with one
// hostile file in a copy of Rules/, and shown defeated. Each test names the class it stands for.

/// A copy of Rules/ with the given files added under rules/.
private func rules(adding files: [String: String]) throws -> String {
    let copy = try copyOfRules()
    for (name, text) in files {
        try text.write(toFile: copy + "/rules/" + name, atomically: true, encoding: .utf8)
    }
    return copy
}

/// The standard case, with some sections replaced.
private func caseFile(id: String = "isolation", _ overrides: [String: String] = [:]) throws -> String {
    try temporaryFile(caseYAML(id: id, overrides))
}

/// The heap `used` leaves its next case is, byte for byte, a fresh engine's on the same rules.
private func expectAFreshEnginesHeap(_ used: Engine, rules: String, after what: String) throws {
    let after = try used.heapBetweenCases()
    let expected = try makeEngine(rules: rules).heapBetweenCases()
    #expect(after == expected, "\(after) bytes after \(what), \(expected) in a fresh engine")
}

/// A case whose only lesion is unstable (pelvic ring instability) in a patient fit for surgery.
private let unstableCase: [String: String] = [
    "patient":
        "patient: { age: 62, sex: female, karnofsky: 70, fit_for_surgery: true, accepts_surgery: true, life_expectancy_months: 12 }",
    "lesions": """
    lesions:
      - { id: S2a, levels: [S2], zones: [1], side: left, diameter_cm: 2.5, bone_lesion: lytic, fracture: none, collapse: none, alignment: normal, posterolateral: none, epidural: "0", foraminal_erosion: false, ilium: none, irradiated: true, pelvic_instability: true }
    """,
]

/// The decision of an engine over `rules` for the case at `path`.
private func decide(_ rules: String, _ path: String) throws -> Decision {
    let engine = try makeEngine(rules: rules)
    return engine.evaluate(try engine.load(path: path))
}

/// No pathway is favourable (recommended or an option) under attack unless it is without it.
private func expectNothingMadeFavourable(
    _ attacked: Decision, _ clean: Decision, sourceLocation: SourceLocation = #_sourceLocation
) {
    for p in clean.pathways where attacked.status(of: p.id)?.isFavourable == true {
        #expect(p.status.isFavourable, "\(p.id) became \(attacked.status(of: p.id)!) under attack", sourceLocation: sourceLocation)
    }
}

/// The same case evaluated twice in the attacked engine comes out byte for byte as a fresh
/// engine gives it, both times.
private func expectNoStateBetweenCases(
    rules: String, case path: String, sourceLocation: SourceLocation = #_sourceLocation
) throws -> Decision {
    let engine = try makeEngine(rules: rules)
    let validated = try engine.load(path: path)
    let first = engine.evaluate(validated)
    let second = engine.evaluate(validated)
    let other = engine.evaluate(try engine.load(path: try caseFile(id: "another-id")))
    _ = other
    let third = engine.evaluate(validated)
    let fresh = try makeEngine(rules: rules)
    let expected = fresh.evaluate(try fresh.load(path: path)).document.serialized()
    for d in [first, second, third] {
        #expect(d.document.serialized() == expected, "a case differs from a fresh engine's", sourceLocation: sourceLocation)
    }
    return first
}

@Suite struct RuleIsolationTests {
    // MARK: - Limits that do not fail closed

    /// Class: limits that do not fail closed — helpers that open a budget window of their own
    /// (c:score_opt computing a score, c:status running a pathway's rules) handed the caller a
    /// fresh budget when they closed: one rule call ran several times its instruction budget.
    @Test func aNestedWindowGivesItsCallerNoFreshBudget() throws {
        var file = """
            rule {
                id = "zz.caller", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c)
                    local n = 0
                    for round = 1, 8 do
                        for i = 1, 30000 do n = n + i end
                        c:score_opt("zz_s" .. round)
                    end
                    return n > 0
                end,
                effect = { status = "recommended", text = "caller" },
            }

            """
        for i in 1...8 {
            file += """
                score { id = "zz_s\(i)", implements = {}, source = "knowledge-base", output = false,
                    compute = function(c) return { total = \(i) } end }

                """
        }
        let limits = EngineLimits(memoryBytes: 32 << 20, instructionsPerWindow: 200_000, instructionsPerCase: 0, secondsPerCase: 0)
        let engine = try makeEngine(rules: try rules(adding: ["zz_adversary.lua": file]), limits: limits)
        let decision = engine.evaluate(try engine.load(path: try caseFile()))
        let failure = try #require(decision.failures.first { $0.rule == "zz.caller" }, "\(decision.failures)")
        #expect(failure.kind == "instruction_limit", "\(failure.kind): \(failure.message)")
        #expect(failure.message.contains("rules/zz_adversary.lua:"), "\(failure.message)")
        #expect(failure.message.contains("instruction limit exceeded"), "\(failure.message)")
        #expect(decision.status(of: "sacroplasty")?.isFavourable != true)
        // The scores it asked for are unharmed, and no other rule failed with it.
        #expect(decision.failures.map(\.rule) == ["zz.caller"], "\(decision.failures)")
    }

    /// Class: limits that do not fail closed — a limit that trips inside a runtime helper the
    /// rule calls through a tail call (`return any_of(...)` over a very long argument list) let the
    /// rule return normally.
    @Test func aLimitTrippedInsideAHelperReachedByATailCallStopsTheRule() throws {
        let file = """
            rule {
                id = "zz.tail", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c)
                    local t = {}; for i = 1, 60000 do t[i] = function() return false end end; t[#t + 1] = function() return true end
                    return any_of(table.unpack(t))
                end,
                effect = { status = "recommended", text = "tail" },
            }

            """
        let limits = EngineLimits(memoryBytes: 64 << 20, instructionsPerWindow: 500_000, instructionsPerCase: 0, secondsPerCase: 0)
        let engine = try makeEngine(rules: try rules(adding: ["zz_adversary.lua": file]), limits: limits)
        let decision = engine.evaluate(try engine.load(path: try caseFile()))
        let failure = try #require(decision.failures.first { $0.rule == "zz.tail" }, "\(decision.failures)")
        #expect(failure.kind == "instruction_limit", "\(failure.kind): \(failure.message)")
        #expect(decision.status(of: "sacroplasty")?.isFavourable != true)
    }

    // MARK: - One rule changing another's result

    /// Class: one rule changing another's result — c:derive memoised by name alone. A rule that
    /// loads first derives a shared fact's name with its own function.
    @Test func aDerivedValueHasOneDefiner() throws {
        let adversary = """
            rule {
                id = "aa.derive", pathways = { "radiation" }, implements = {}, source = "knowledge-base",
                when = function(c)
                    c:derive("facts.unstable", function() return false end)
                    c:derive("facts.unfit_or_declines", function() return false end)
                    use("facts").shared("facts.any_epidural", function() return false end)(c)
                    return false
                end,
                effect = { text = "never" },
            }

            """
        let attackedRules = try rules(adding: ["aa_adversary.lua": adversary])
        let path = try caseFile(unstableCase)
        let attacked = try decide(attackedRules, path)
        let clean = try decide(shippedRules, path)
        let conflicts = attacked.failures.filter { $0.message.contains("has two definers") }
        #expect(!conflicts.isEmpty, "\(attacked.failures)")
        for f in conflicts {
            #expect(f.message.contains("aa_adversary.lua:"), "\(f.message)")
            #expect(f.message.contains("facts.lua:"), "\(f.message)")
        }
        expectNothingMadeFavourable(attacked, clean)
        // Without the adversary nothing conflicts.
        #expect(!clean.failures.contains { $0.message.contains("two definers") })
    }

    /// Class: one rule changing another's result — a rule rewriting its own identity (id,
    /// pathways, effect, file and line) at run time through the table it declared itself with.
    @Test func aRuleCannotRewriteItsOwnDeclaration() throws {
        let adversary = """
            local spec
            spec = {
                id = "zz.identity", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "contraindicated", strength = "absolute",
                when = function(c)
                    spec.id = "sacroplasty.coagulopathy"
                    spec.source = "shipped"
                    spec.effect.status, spec.effect.strength = "recommended", nil
                    spec.effect.text = "forged"
                    return true
                end,
                effect = { status = "contraindicated", strength = "absolute", text = "zz identity" },
            }
            rule(spec)
            local failing
            failing = {
                id = "zz.blame", pathways = { "rfa" }, implements = {}, source = "knowledge-base",
                when = function(c)
                    failing.file, failing.line, failing.id = "rules/sacroplasty.lua", 3, "sacroplasty.coagulopathy"
                    error({})
                end,
                effect = { text = "never" },
            }
            rule(failing)

            """
        let decision = try decide(try rules(adding: ["zz_adversary.lua": adversary]), try caseFile())
        // The rewrite is refused (the table is frozen once the rules are loaded), and even a
        // rewrite that got through would change the file's own table, not the registry's copy.
        #expect(decision.status(of: "sacroplasty")?.isFavourable != true)
        for rule in ["zz.identity", "zz.blame"] {
            let failure = try #require(decision.failures.first { $0.rule == rule }, "\(rule): \(decision.failures)")
            #expect(failure.message.contains("rules/zz_adversary.lua:"), "\(failure.message)")
            #expect(failure.message.contains("read-only"), "\(failure.message)")
            #expect(failure.location?.file.hasSuffix("rules/zz_adversary.lua") == true, "\(String(describing: failure.location))")
        }
        let document = decision.document.serialized()
        #expect(!document.contains("forged") && !document.contains("\"shipped\""))
        #expect(!decision.failures.contains { $0.rule == "sacroplasty.coagulopathy" })
        #expect(!decision.pathways.contains { $0.reasons.contains { $0.rule == "sacroplasty.coagulopathy" && $0.text == "zz identity" } })
    }

    /// The registry's copy of a declaration is its own: a file that changes its declaration table
    /// while it loads (after rule{} took it) changes nothing the engine uses.
    @Test func aDeclarationChangedAfterItWasMadeChangesNothing() throws {
        let adversary = """
            local spec = {
                id = "zz.late", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "contraindicated", strength = "absolute",
                effect = { status = "contraindicated", strength = "absolute", text = "zz late" },
            }
            rule(spec)
            spec.id, spec.source = "sacroplasty.coagulopathy", "shipped"
            spec.effect.status, spec.effect.strength, spec.effect.text = "recommended", nil, "forged"

            """
        let decision = try decide(try rules(adding: ["zz_adversary.lua": adversary]), try caseFile())
        #expect(decision.status(of: "sacroplasty") == .contraindicated)
        let sacroplasty = try #require(decision.pathways.first { $0.id == "sacroplasty" })
        let reason = try #require(sacroplasty.reasons.first { $0.rule == "zz.late" }, "\(sacroplasty.reasons.map(\.rule))")
        #expect(reason.text == "zz late" && reason.source == "knowledge-base")
        #expect(!decision.document.serialized().contains("forged"))
    }

    /// Class: one rule changing another's result — runtime objects shared by every rule and case
    /// (the unknown-value sentinel) are writable.
    @Test func theUnknownValueSentinelIsReadOnly() throws {
        let adversary = """
            rule {
                id = "zz.sentinel", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                when = function(c)
                    local _, sentinel = pcall(c.get, c, "patient.ecog")
                    if sentinel.note then error("the sentinel carried: " .. tostring(sentinel.note), 0) end
                    sentinel.note = "written by an earlier case"
                    return false
                end,
                effect = { text = "never" },
            }

            """
        let attackedRules = try rules(adding: ["zz_adversary.lua": adversary])
        let first = try expectNoStateBetweenCases(rules: attackedRules, case: try caseFile())
        let failure = try #require(first.failures.first { $0.rule == "zz.sentinel" }, "\(first.failures)")
        #expect(failure.message.contains("marker is read-only"), "\(failure.message)")
        #expect(failure.message.contains("rules/zz_adversary.lua:6: the runtime"), "\(failure.message)")
    }

    /// Class: one rule changing another's result — a rule file's own locals and globals persist
    /// between cases, and rules can read the case id.
    static let stateAttacks: [(name: String, file: String, message: String)] = [
        (
            "a file-level local counter",
            """
            local seen = 0
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) seen = seen + 1; return seen > 1 end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "changed the file-level local 'seen'"
        ),
        // The restore after a call looks only at the cells some reachable function can assign
        // (read from its bytecode): a cell assigned by a closure the rule makes, by a closure made
        // inside that one, by a global function of the file or by a function of a shared table.
        (
            "a file-level local assigned by a closure the rule makes",
            """
            local seen = 0
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) local bump = function() seen = seen + 1 end; bump(); return seen > 1 end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "changed the file-level local 'seen'"
        ),
        (
            "a file-level local assigned two closures deep",
            """
            local seen = 0
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c)
                    local outer = function() return function() seen = seen + 1 end end
                    outer()()
                    return seen > 1
                end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "changed the file-level local 'seen'"
        ),
        (
            "a file-level local assigned by a global function of the file",
            """
            local seen = 0
            function zz_bump() seen = seen + 1 end
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) zz_bump(); return seen > 1 end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "changed the file-level local 'seen'"
        ),
        (
            "a file-level local assigned by a function of a shared table",
            """
            local seen = 0
            define("zz_counter", { bump = function() seen = seen + 1; return seen end })
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) return use("zz_counter").bump() > 1 end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "changed the file-level local 'seen'"
        ),
        (
            "a file-level table",
            """
            local seen = {}
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) seen[#seen + 1] = true; return #seen > 1 end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "a rule file's table is read-only"
        ),
        (
            "a table nested in a shared table",
            """
            local memory = { cases = { n = 0 } }
            define("zz_memory", memory)
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) memory.cases.n = memory.cases.n + 1; return memory.cases.n > 1 end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "a rule file's table is read-only"
        ),
        (
            "a global set while loading",
            """
            count = 0
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) count = count + 1; return count > 1 end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "may not set the global 'count'"
        ),
        (
            "the case id",
            """
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "contraindicated", strength = "absolute",
                when = function(c) return c:get("id") ~= "isolation" end,
                effect = { status = "contraindicated", strength = "absolute", text = "state" },
            }

            """,
            "the case's 'id' is not visible to rules"
        ),
        (
            "the case title",
            """
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "contraindicated", strength = "absolute",
                when = function(c) return c:opt("title") == nil end,
                effect = { status = "contraindicated", strength = "absolute", text = "state" },
            }

            """,
            "the case's 'title' is not visible to rules"
        ),
        (
            "the file's environment rebound",
            """
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) _ENV = { tostring = tostring }; return false end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "changed the file-level local '_ENV'"
        ),
        (
            "a closure handed to other rules as a derived value",
            """
            local calls = 0
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c)
                    local bump = c:derive("zz.bump", function() return function() calls = calls + 1 end end)
                    return bump ~= nil
                end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "derive 'zz.bump': its value holds a function value"
        ),
        (
            "a file's read-only table handed on as a derived value",
            """
            local counters = { f = function() end }
            rule {
                id = "zz.state", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c) return c:derive("zz.table", function() return counters end) ~= nil end,
                effect = { status = "recommended", text = "state" },
            }

            """,
            "derive 'zz.table': its value holds a read-only shared table"
        ),
    ]

    /// A file's read-only table given as an input or in a computed effect's detail: copied into the
    /// output it read as empty, without a word; now the rule fails and says what to do.
    @Test(arguments: [
        #"when = function(c) c:input("zz.list", LIST); return false end,"#,
        #"when = function() return true end, effect = function() return { status = "option", text = "x", detail = { list = LIST } } end,"#,
    ])
    func aReadOnlyTableNeverCrossesIntoTheOutputAsEmpty(body: String) throws {
        let file = """
            local LIST = { "a", "b" }
            rule {
                id = "zz.data", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "option",
                \(body)
            \(body.contains("effect") ? "" : #"    effect = { status = "option", text = "x" },"#)
            }

            """
        let d = try decide(try rules(adding: ["zz_data.lua": file]), try caseFile())
        let failure = try #require(d.failures.first { $0.rule == "zz.data" }, "\(d.failures)")
        #expect(failure.message.contains("holds a read-only shared table or a runtime object (build a new table"), "\(failure.message)")
        #expect(d.status(of: "sacroplasty")?.isFavourable != true)
    }

    @Test(arguments: stateAttacks.indices)
    func aRuleFileKeepsNoStateAndCannotSeeTheCaseID(index: Int) throws {
        let attack = Self.stateAttacks[index]
        let attackedRules = try rules(adding: ["zz_adversary.lua": attack.file])
        let first = try expectNoStateBetweenCases(rules: attackedRules, case: try caseFile())
        let failure = try #require(first.failures.first { $0.rule == "zz.state" }, "\(attack.name): \(first.failures)")
        #expect(failure.message.contains(attack.message), "\(attack.name): \(failure.message)")
        #expect(failure.message.contains("rules/zz_adversary.lua:"), "\(attack.name): \(failure.message)")
        #expect(!failure.message.contains("sacral-runtime"), "\(attack.name): \(failure.message)")
        #expect(first.status(of: "sacroplasty")?.isFavourable != true)
    }

    /// Nothing a case does is left in the heap for the next one: after cases of one, two and three
    /// lesions, read by the shipped rules and by a rule naming paths outside the field dictionary's
    /// forms, the heap the next case starts from is byte for byte the heap of a fresh engine. (A
    /// cache the first case fills — a parsed path, a lesion's field name, a verdict's rank — would
    /// charge that case's rules for it and not the next case's.)
    @Test func theHeapBetweenCasesIsAFreshEnginesHeap() throws {
        let file = """
            rule {
                id = "zz.paths", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function(c)
                    local n = 0
                    for i = 0, 2 do if c:opt("lesions[" .. i .. "].id") ~= nil then n = n + 1 end end
                    return { warning = "lesions " .. n }
                end,
            }

            """
        let rulesDir = try rules(adding: ["zz_paths.lua": file])
        let used = try makeEngine(rules: rulesDir)
        let twoLesions = try caseFile(
            id: "two", ["lesions": #"lesions: [{ id: "A", zones: [1], diameter_cm: 2.0 }, { id: "B", zones: [2], epidural: "1b" }]"#])
        for path in [try caseFile(), twoLesions, try caseFile(id: "again")] {
            let d = used.evaluate(try used.load(path: path))
            #expect(d.failures.isEmpty, "\(d.failures)")
        }
        try expectAFreshEnginesHeap(used, rules: rulesDir, after: "three cases")
    }

    /// A string longer than Lua's stack buffer (string.rep, table.concat, string.format) makes
    /// lauxlib register its buffer's metatable, which stays for the state's life: made by the
    /// first case to build one, it was in every later case's heap and not in a fresh engine's.
    @Test func aLongStringBuiltByACaseLeavesNothingForTheNext() throws {
        let file = """
            rule {
                id = "zz.long", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function(c)
                    local parts = {}
                    for i = 1, 40 do parts[i] = string.rep("x", 100) end
                    return { warning = "long " .. #table.concat(parts) .. " " .. #string.format("%s", string.rep("y", 3000)) }
                end,
            }

            """
        let rulesDir = try rules(adding: ["zz_long.lua": file])
        let used = try makeEngine(rules: rulesDir)
        let d = used.evaluate(try used.load(path: try caseFile()))
        #expect(d.failures.isEmpty, "\(d.failures)")
        #expect(d.warnings.contains("long 4000 3000"), "\(d.warnings)")
        try expectAFreshEnginesHeap(used, rules: rulesDir, after: "a case")
    }

    /// A rule that runs into a limit stops at the same instruction, with the same message, whether
    /// its case is the engine's first, follows another case, or follows a rebuild of the state
    /// after a limit: the collector meets the case in the same state every time, its debt (when
    /// it next collects) included. Found by the rule fuzzer (seed 7777, round 179): a rule whose
    /// stack the collector shrank at another moment hit the work budget instead of the
    /// instruction budget after a full collection between cases than after a young one.
    @Test func aRuleRunningIntoALimitStopsAtTheSameInstructionWhateverRanBefore() throws {
        let file = """
            rule {
                id = "zz.garbage", pathways = { "embolization" }, implements = {},
                source = "knowledge-base", status = "option",
                when = function(c)
                    local s = string.rep("x", 900000); for i = 1, 100 do local _ = (s == s .. "") end
                    return c:get("symptoms.frankel") ~= "A"
                end,
                effect = { status = "option", text = "garbage" },
            }
            rule {
                id = "zz.recursion", pathways = { "coagulation_correction" }, implements = {},
                source = "knowledge-base", status = "undetermined",
                when = function(c)
                    local function f(n) return f(n + 1) + 1 end; f(1)
                    return true
                end,
                effect = { status = "undetermined", text = "recursion" },
            }

            """
        let rulesDir = try rules(adding: ["zz_limits.lua": file])
        let limits = EngineLimits(memoryBytes: 16 << 20, instructionsPerWindow: 100_000, instructionsPerCase: 4_000_000, secondsPerCase: 60)
        let paths = [try caseFile(id: "first"), try caseFile(id: "second", unstableCase), try caseFile(id: "third")]
        func documents(_ engine: Engine, _ order: [Int]) throws -> [Int: String] {
            var out: [Int: String] = [:]
            for i in order { out[i] = engine.evaluate(try engine.load(path: paths[i])).document.serialized() }
            return out
        }
        let forward = try makeEngine(rules: rulesDir, limits: limits)
        let first = try documents(forward, [0, 1, 2])
        #expect(first[0]?.contains("zz.recursion") == true)
        let again = try documents(forward, [0, 1, 2])
        let reverse = try documents(try makeEngine(rules: rulesDir, limits: limits), [2, 1, 0])
        for i in 0..<3 {
            #expect(again[i] == first[i], "case \(i) again: \(firstDifference(again[i] ?? "", first[i] ?? ""))")
            #expect(reverse[i] == first[i], "case \(i) in reverse: \(firstDifference(reverse[i] ?? "", first[i] ?? ""))")
        }
        #expect(forward.rebuilds > 0, "the rules hit no limit that rebuilds the state")
    }

    /// The collection between cases is a young one (it frees what the case allocated without
    /// marking the rules again) when the case left nothing else behind, and a full one otherwise.
    /// After cases of the shipped rules only the engine's first collection is full, also when
    /// something ran on the state after the collection a server makes once it has answered (the
    /// line listing of `--coverage`: the engine then collects again before it pushes the case,
    /// rather than the runtime fully, after). A rule that keeps a
    /// table in a file-level local fails (the local is put back), but the table was kept old by
    /// the collector: the next collection is full, and the heap is a fresh engine's.
    @Test func theCollectionBetweenCasesIsYoungUnlessACaseLeftSomethingBehind() throws {
        let shipped = try makeEngine()
        let twoLesions = try caseFile(
            id: "two", ["lesions": #"lesions: [{ id: "A", zones: [1], diameter_cm: 2.0 }, { id: "B", zones: [2], epidural: "1b" }]"#])
        for path in [try caseFile(), twoLesions, try caseFile(id: "again"), twoLesions] {
            let d = shipped.evaluate(try shipped.load(path: path))
            #expect(d.failures.isEmpty, "\(d.failures)")
            shipped.prepareNextCase()  // as the server does once it has answered
            _ = try shipped.lineCoverage()
        }
        _ = try shipped.heapBetweenCases()
        let counted = shipped.collectionsBetweenCases
        #expect(counted.full == 1 && counted.young == 8, "\(counted)")

        let keeper = """
            local kept = nil
            rule {
                id = "zz.keeper", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function(c) kept = { c:opt("patient.age") }; return { warning = "kept" } end,
            }

            """
        let rulesDir = try rules(adding: ["zz_keeper.lua": keeper])
        let used = try makeEngine(rules: rulesDir)
        for id in ["one", "two", "three"] {
            let d = used.evaluate(try used.load(path: try caseFile(id: id)))
            let failure = try #require(d.failures.first { $0.rule == "zz.keeper" }, "\(d.failures)")
            #expect(failure.message.contains("changed the file-level local 'kept'"), "\(failure.message)")
        }
        try expectAFreshEnginesHeap(used, rules: rulesDir, after: "three cases")
        #expect(used.collectionsBetweenCases.full == 4, "\(used.collectionsBetweenCases)")
    }

    /// Shipped rules keep working with their tables frozen: a shared table is still read, its
    /// length taken and iterated in order.
    @Test func frozenRuleFileTablesStillReadAndIterate() throws {
        let file = """
            local list = { "b", "a", "c" }
            local map = { z = 1, y = 2 }
            rule {
                id = "zz.reads", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function(c)
                    local keys = {}
                    for k, v in pairs(map) do keys[#keys + 1] = k .. v end
                    local n = 0
                    for _ in next, list do n = n + 1 end
                    return { warning = table.concat(list, ",") .. " #" .. #list .. " " .. table.concat(keys, ",") ..
                        " next=" .. n .. " first=" .. tostring(next(map)) }
                end,
            }

            """
        let decision = try decide(try rules(adding: ["zz_reads.lua": file]), try caseFile())
        #expect(decision.failures.isEmpty, "\(decision.failures)")
        #expect(decision.warnings.contains("b,a,c #3 y2,z1 next=3 first=y"), "\(decision.warnings)")
    }

    // MARK: - Output that says what no rule decided

    /// Class: output that says what no rule decided — a rule error raised with a forged
    /// `file:line:` prefix is attributed to the rule that raised it.
    static let forgedPositions: [(name: String, body: String)] = [
        ("level 0", #"error("rules/sacroplasty.lua:12: forged", 0)"#),
        ("level 2 (the runtime's own frame)", #"error("forged", 2)"#),
        ("level 3", #"error("forged", 3)"#),
        ("a position before a newline", #"error("x\nrules/sacroplasty.lua:12: forged", 0)"#),
    ]

    @Test(arguments: forgedPositions.indices)
    func aRuleErrorIsAttributedToTheRuleThatRaisedIt(index: Int) throws {
        let (name, body) = Self.forgedPositions[index]
        let adversary = """
            rule {
                id = "zz.forger", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                when = function(c)
                    \(body)
                end,
                effect = { status = "recommended", text = "adversary" },
            }

            """
        let decision = try decide(try rules(adding: ["zz_adversary.lua": adversary]), try caseFile())
        let failure = try #require(decision.failures.first { $0.rule == "zz.forger" }, "\(name): \(decision.failures)")
        #expect(failure.message.contains("rules/zz_adversary.lua:5: "), "\(name): \(failure.message)")
        #expect(!failure.message.contains("sacral-runtime"), "\(name): \(failure.message)")
        let location = try #require(failure.location, "\(name)")
        #expect(location.file.hasSuffix("rules/zz_adversary.lua") && location.line == 5, "\(name): \(location)")
        #expect(decision.status(of: "sacroplasty")?.isFavourable != true)
    }

    /// Class: output that says what no rule decided — malformed effects are blamed on the rule
    /// (its file), and every other pathway of the case is still decided.
    static let malformedEffects: [(name: String, effect: String)] = [
        ("a text function returning a table", #"{ status = "recommended", text = function() return {} end }"#),
        ("a text function returning a number", #"{ status = "recommended", text = function() return 42 end }"#),
        ("a computed effect returning a string", #"function() return "recommended" end"#),
        ("a detail holding a function", #"function() return { status = "recommended", detail = { f = print or type } } end"#),
        ("a detail keyed by a table", #"function() return { status = "recommended", detail = { [{}] = 1 } } end"#),
        ("evidence that is a table", #"function() return { status = "recommended", evidence = {} } end"#),
        ("an input that is a function", #"function(c) c:input("f", print or type); return { status = "recommended" } end"#),
        ("an input named by a table", #"function(c) c:input({}, 1); return { status = "recommended" } end"#),
    ]

    @Test(arguments: malformedEffects.indices)
    func aMalformedEffectIsBlamedOnItsRule(index: Int) throws {
        let (name, effect) = Self.malformedEffects[index]
        let adversary = """
            rule {
                id = "zz.malformed", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                effect = \(effect),
            }

            """
        let decision = try decide(try rules(adding: ["zz_adversary.lua": adversary]), try caseFile())
        let failure = try #require(decision.failures.first { $0.rule == "zz.malformed" }, "\(name): \(decision.failures)")
        #expect(failure.location?.file.hasSuffix("rules/zz_adversary.lua") == true, "\(name): \(failure.message)")
        #expect(decision.status(of: "sacroplasty")?.isFavourable != true, "\(name)")
        #expect(decision.pathways.count > 1)
        #expect(!decision.pathways.contains { $0.reasons.contains { $0.rule == "engine" } }, "\(name): a pathway failed whole")
    }

    /// Class: output that says what no rule decided — an alert outside the ruleset's declarations
    /// (an undeclared or a louder one) and a plan step for a contraindicated pathway.
    @Test func alertsAndPlanStepsStayWithinWhatTheRulesDecided() throws {
        let adversary = """
            rule {
                id = "zz.undeclared", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function() return { alert = { id = "forged_emergency", level = "emergency", text = "FORGED" } } end,
            }
            rule {
                id = "zz.louder", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function() return { alert = { id = "outside_study_criteria", level = "emergency", text = "FORGED" } } end,
            }
            rule {
                id = "zz.plan", pathways = {}, implements = {}, source = "knowledge-base",
                effect = { plan = { pathway = "sacroplasty", timing = "emergency", requires = false, text = "FORGED sacroplasty now" } },
            }

            """
        let contraindicated = [
            "comorbidities":
                "comorbidities: { systemic_infection: true, local_infection: false, pmma_allergy: false, severe_cardiopulmonary_disease: false }"
        ]
        let decision = try decide(try rules(adding: ["zz_adversary.lua": adversary]), try caseFile(contraindicated))
        #expect(decision.status(of: "sacroplasty") == .contraindicated)
        #expect(!decision.alerts.contains { $0.text.contains("FORGED") || $0.level == "emergency" }, "\(decision.alerts)")
        #expect(!decision.plan.contains { ($0.text ?? "").contains("FORGED") || $0.pathway == "sacroplasty" }, "\(decision.plan)")
        let undeclared = try #require(decision.failures.first { $0.rule == "zz.undeclared" })
        #expect(undeclared.message.contains("undeclared alert 'forged_emergency'"))
        let louder = try #require(decision.failures.first { $0.rule == "zz.louder" })
        #expect(louder.message.contains("declares it at level 'info'"), "\(louder.message)")
    }

    /// Class: output that says what no rule decided — statuses and strengths outside the
    /// vocabulary fail their rule closed.
    @Test func statusesAndStrengthsOutsideTheVocabularyFailClosed() throws {
        let adversary = """
            rule {
                id = "zz.status", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                status = "recommended",
                effect = function() return { status = "RECOMMENDED" } end,
            }
            rule {
                id = "zz.strength", pathways = { "rfa" }, implements = {}, source = "knowledge-base",
                status = "contraindicated", strength = "relative",
                effect = function() return { status = "contraindicated", strength = "mild" } end,
            }

            """
        let decision = try decide(try rules(adding: ["zz_adversary.lua": adversary]), try caseFile())
        for (rule, pathway) in [("zz.status", "sacroplasty"), ("zz.strength", "rfa")] {
            let failure = try #require(decision.failures.first { $0.rule == rule }, "\(decision.failures)")
            #expect(failure.message.contains("unknown st"), "\(failure.message)")
            #expect(decision.status(of: pathway) == .undetermined || decision.status(of: pathway) == .contraindicated)
        }
        let document = decision.document.serialized()
        #expect(!document.contains(#""status": "RECOMMENDED""#) && !document.contains(#""strength": "mild""#))
        for f in decision.failures where f.rule.hasPrefix("zz.") {
            #expect(f.location?.file.hasSuffix("rules/zz_adversary.lua") == true, "\(f.message)")
        }
    }

    /// Class: limits that do not fail closed — a per-lesion rule that fails at one lesion (here by
    /// raising; in the rule fuzzer when the case budget ran out during that lesion's `c:status`)
    /// holds that lesion fail-closed, and the failure names the lesion; the other lesion stands on
    /// its own rules and the pathway takes the most favourable lesion (P20). A case-level rule that
    /// fails holds its pathway at every lesion.
    @Test func aPerLesionRuleFailingAtOneLesionHoldsThatLesionAndSaysWhich() throws {
        let twoLesions = [
            "lesions": """
            lesions:
              - { id: A, levels: [S2], zones: [1], side: left, diameter_cm: 2.5, bone_lesion: lytic, fracture: none, collapse: none, alignment: normal, posterolateral: none, epidural: "0", foraminal_erosion: false, ilium: none, irradiated: false, pelvic_instability: false }
              - { id: B, levels: [S3], zones: [1], side: right, diameter_cm: 2.0, bone_lesion: lytic, fracture: none, collapse: none, alignment: normal, posterolateral: none, epidural: "0", foraminal_erosion: false, ilium: none, irradiated: false, pelvic_instability: false }
            """,
            "history": "history: { radiation: none, sacral_surgery: false, cement_augmentation: false }",
        ]
        let adversary = """
            rule {
                id = "zz.at_b", pathways = { "radiation" }, implements = {}, source = "knowledge-base",
                per_lesion = true, status = "not_indicated",
                when = function(c) if c:lesion_id() == "B" then error("fails at B") end return false end,
                effect = { status = "not_indicated", text = "never" },
            }
            rule {
                id = "zz.case", pathways = { "rfa" }, implements = {}, source = "knowledge-base",
                status = "not_indicated",
                when = function(c) error("fails for the case") end,
                effect = { status = "not_indicated", text = "never" },
            }

            """
        let path = try caseFile(twoLesions)
        let clean = try decide(shippedRules, path)
        let attacked = try decide(try rules(adding: ["zz_adversary.lua": adversary]), path)

        let atB = try #require(attacked.failures.first { $0.rule == "zz.at_b" }, "\(attacked.failures)")
        #expect(atB.lesion == "B")
        #expect(attacked.pathway("radiation")?.lesion("B")?.status.isFavourable == false)
        #expect(attacked.pathway("radiation")?.lesion("A")?.status == clean.pathway("radiation")?.lesion("A")?.status)
        #expect(attacked.status(of: "radiation") == clean.pathway("radiation")?.lesion("A")?.status)
        let caseLevel = try #require(attacked.failures.first { $0.rule == "zz.case" })
        #expect(caseLevel.lesion == nil)
        #expect(attacked.status(of: "rfa")?.isFavourable == false)
        for id in ["A", "B"] { #expect(attacked.pathway("rfa")?.lesion(id)?.status.isFavourable == false) }

        // The output says where it failed: the JSON entry and the text report name the lesion.
        let errors = attacked.document["errors"]?.arrayValue ?? []
        let entry = try #require(errors.first { $0["rule"]?.stringValue == "zz.at_b" })
        #expect(entry["lesion"]?.stringValue == "B")
        #expect(errors.first { $0["rule"]?.stringValue == "zz.case" }?["lesion"] == nil)
        #expect(TextReport(color: false).render(attacked).contains("zz.at_b (lesion B): "))
    }

    /// Class: output that says what no rule decided — rule texts and case titles with newlines
    /// and terminal escape sequences print forged lines in text mode. Done when: under
    /// `--format text` no byte below 0x20 other than newline reaches the terminal from rule or
    /// case text.
    @Test(.enabled(if: sacralBinaryExists)) func textModeEscapesControlCharactersAndIndentsContinuationLines() throws {
        let forged = #"\n\n  sacroplasty — RECOMMENDED\n    • sacroplasty.indication [recommended]\n\27[8mhidden\27[0m\0nul\r\t\u{202E}"#
        let adversary = """
            rule {
                id = "zz.forged\\n  rfa — RECOMMENDED", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base\(forged)",
                effect = { text = "reason\(forged)", detail = { ["k\(forged)"] = "v\(forged)" } },
            }
            rule {
                id = "zz.warns", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function(c) c:warn("warning\(forged)"); return { warning = "w2\(forged)" } end,
            }
            rule {
                id = "zz.fails", pathways = { "rfa" }, implements = {}, source = "knowledge-base",
                when = function(c) error("failure\(forged)", 0) end,
                effect = { text = "never" },
            }

            """
        let contraindicated = [
            "comorbidities":
                "comorbidities: { systemic_infection: true, local_infection: false, pmma_allergy: false, severe_cardiopulmonary_disease: false }",
            "id": "id: \"title-case\"\ntitle: \"first\\n  sacroplasty — RECOMMENDED\"",
        ]
        let attackedRules = try rules(adding: ["zz_adversary.lua": adversary])
        let path = try caseFile(contraindicated)
        let run = try runSacral(["evaluate", "--rules", attackedRules, "--format", "text", path])
        let bytes = [UInt8](run.stdout)
        #expect(!bytes.isEmpty, "\(run.stderr)")
        let control = bytes.filter { $0 < 0x20 && $0 != 0x0A }
        #expect(control.isEmpty, "control bytes \(control) in:\n\(String(decoding: bytes, as: UTF8.self))")
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Exactly one line heads the sacroplasty pathway, and it says what the rules decided (with the
        // per-lesion statuses, P20).
        let heads = lines.filter { $0.hasPrefix("  sacroplasty — ") }
        #expect(heads == ["  sacroplasty — CONTRAINDICATED (absolute) (S2a contraindicated absolute)"], "\(heads)")
        #expect(!lines.contains { $0.hasPrefix("  rfa — RECOMMENDED") })
        #expect(!lines.contains { $0.hasPrefix("    • sacroplasty.indication") })
        #expect(text.contains("\\u{1B}[8mhidden") && text.contains("\\u{0}nul") && text.contains("\\u{202E}"), "\(text)")
        // A text's own lines are indented as continuation lines, deeper than any header.
        #expect(text.contains("\n" + String(repeating: " ", count: 8) + "  sacroplasty — RECOMMENDED"), "\(text)")
    }

    /// Class: output that says what no rule decided — a rule file too large to compile fails
    /// without its file name.
    @Test func aRuleFileTooLargeToCompileIsNamed() throws {
        let huge = "return \"" + String(repeating: "x", count: 12 << 20) + "\"\n"
        let many = "local t = {\n" + (1...300_000).map { "  \($0).5,\n" }.joined() + "}\nreturn t\n"
        for (name, text) in [("zz_huge.lua", huge), ("zz_many.lua", many)] {
            let copy = try rules(adding: [name: text])
            #expect {
                _ = try makeEngine(rules: copy, limits: EngineLimits(memoryBytes: 16 << 20))
            } throws: { error in
                let message = (error as? RuleSetError)?.message ?? "not a RuleSetError: \(error)"
                let named = message.contains("rules/\(name)")
                if !named { Issue.record("\(name): \(message)") }
                return named
            }
        }
    }

    /// Class: output that says what no rule decided — a symlinked rule file is skipped without a
    /// word (it could pull a file from outside the rules into the rule set).
    @Test func aSymlinkedRuleFileIsRefusedWithAMessage() throws {
        let outside = try temporaryFile(
            #"rule { id = "zz.linked", pathways = { "sacroplasty" }, source = "knowledge-base", effect = { text = "linked" } }"#,
            ext: "lua")
        for target in [outside, "/nonexistent/zz.lua"] {
            let copy = try copyOfRules()
            try FileManager.default.createSymbolicLink(atPath: copy + "/rules/zz_linked.lua", withDestinationPath: target)
            #expect {
                _ = try RuleSet.load(directory: copy)
            } throws: { error in
                let e = error as? RuleSetError
                let message = e?.message ?? "\(error)"
                let ok = message.contains("rules/zz_linked.lua") && message.contains("symbolic link")
                if !ok { Issue.record("\(target): \(message)") }
                return ok
            }
        }
        // A linked directory too.
        let copy = try copyOfRules()
        try FileManager.default.createSymbolicLink(atPath: copy + "/rules/linked", withDestinationPath: copy + "/lib")
        #expect(throws: RuleSetError.self) { _ = try RuleSet.load(directory: copy) }
    }

    // MARK: - Output that is not deterministic

    /// Done when: evaluating the same case eight times in one process, and in eight processes,
    /// gives identical bytes with any rule file a test can write (here: one that tries every
    /// source of run-to-run difference the sandbox leaves).
    @Test(.enabled(if: sacralBinaryExists)) func eightTimesInOneProcessAndInEightProcessesGiveTheSameBytes() throws {
        let adversary = #"""
            local calls = 0
            rule {
                id = "zz.varies", pathways = {}, implements = {}, source = "knowledge-base",
                effect = function(c)
                    local t = {}
                    for i = 1, 40 do t["k" .. i] = i; t[i * 1.5] = i end
                    local order = {}
                    for k in pairs(t) do order[#order + 1] = tostring(k) end
                    local ok, e = pcall(c.get, c, "patient.ecog")
                    local _, counted = pcall(function() calls = calls + 1; return calls end)
                    return { warning = table.concat(order, ","):sub(1, 200) .. " " .. tostring({}) .. " " ..
                        tostring(print) .. " " .. tostring(e) .. " " .. tostring(counted) .. " " ..
                        string.format("%s %d", {}, #order) .. " " .. tostring(os) .. " " .. tostring(collectgarbage) }
                end,
            }

            """#
        let attackedRules = try rules(adding: ["zz_varies.lua": adversary])
        let path = try caseFile()
        let engine = try makeEngine(rules: attackedRules)
        let validated = try engine.load(path: path)
        var inProcess = Set<String>()
        for _ in 0..<8 { inProcess.insert(engine.evaluate(validated).document.serialized()) }
        #expect(inProcess.count == 1)
        var outputs = Set<Data>()
        for _ in 0..<8 {
            let run = try runSacral(["evaluate", "--rules", attackedRules, "--format", "json", path])
            #expect(run.status == 0 || run.status == 3, "\(run.stderr)")
            outputs.insert(run.stdout)
        }
        #expect(outputs.count == 1)
        // And the process gives what the engine in this process gives.
        let text = String(decoding: outputs.first ?? Data(), as: UTF8.self)
        #expect(text.contains("zz.varies") || text.contains("table"), "\(text.prefix(500))")
    }
}
