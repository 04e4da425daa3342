import Foundation
import LuaKit

/// Static checks of a rule set, without evaluating a case (the model is `opa check`): every file
/// compiles and loads, declarations fit together (duplicate ids, unknown pathways, statuses and
/// alerts, reasons without a source), rules read only declared fields, and every numbered
/// criterion the ruleset lists is claimed by some rule or score.
public enum RuleChecker {
    public static func check(_ ruleSet: RuleSet, limits: EngineLimits = EngineLimits()) -> [RuleProblem] {
        var problems: [RuleProblem] = []
        let state: LuaState
        let runtime: LuaRef
        do {
            (state, runtime) = try Engine.startRuntime(limits: limits.lua)
        } catch {
            return error.problems
        }
        for file in ruleSet.luaFiles {
            if let problem = Engine.loadFile(file, state: state, runtime: runtime) { problems.append(problem) }
        }
        let finished: LuaValue
        let described: LuaValue
        do {
            finished = try state.call(runtime, "finish_loading")
            described = try state.call(runtime, "describe")
        } catch {
            problems.append(Engine.problem(error.message, file: ruleSet.origin))
            return problems
        }
        problems += Engine.problems(finished, origin: ruleSet.origin)
        let dictionary: FieldDictionary
        do {
            dictionary = try FieldDictionary(described: described["fields"])
        } catch {
            problems += error.problems
            return problems
        }
        problems += undeclaredFieldReads(ruleSet, dictionary: dictionary)
        problems += computedEffectStatuses(ruleSet, described: described)
        problems += unclaimedCriteria(Catalog(described: described), origin: ruleSet)
        problems += FHIRMapping.check(
            ruleSet, dictionary: dictionary,
            pathways: (described["ruleset"]["pathways"].tableValue?.array ?? []).compactMap { $0["id"].stringValue },
            limits: limits)
        return problems
    }

    /// Warnings that do not stop the rules from loading: a number in a rule file's text that
    /// restates a threshold instead of formatting it from `use("thresholds")` (so a changed
    /// threshold would leave the old number in reasons and the signed catalogue).
    public static func warnings(_ ruleSet: RuleSet, limits: EngineLimits = EngineLimits()) -> [RuleProblem] {
        let described: LuaValue
        do {
            let (state, runtime) = try Engine.startRuntime(limits: limits.lua)
            for file in ruleSet.luaFiles where Engine.loadFile(file, state: state, runtime: runtime) != nil {
                return []  // `check` reports why the rules do not load
            }
            _ = try state.call(runtime, "finish_loading")
            described = try state.call(runtime, "describe")
        } catch {
            return []
        }
        var thresholds: [(name: String, value: Double)] = []
        for (name, value) in described["numbers"]["thresholds"].tableValue?.fields ?? [:] {
            if let number = value.doubleValue { thresholds.append((name, number)) }
        }
        return restatedThresholds(ruleSet, thresholds: thresholds.sorted { $0.name < $1.name })
    }

    /// A number written after a comparison (`<`, `>`, `<=`, `>=`, `≤`, `≥`) or after a score's name
    /// (`SINS 7-12`, `KPS 40`) inside a string literal, equal to a threshold's value, with a word of
    /// that threshold's name within the same literal just before or after it ("INR > 1.50" for
    /// inr_max, "< 3 months" for life_expectancy_min_months). Outcome figures ("VAS 9.0 -> 2.6")
    /// and quotes with other words are not thresholds and pass.
    static func restatedThresholds(_ ruleSet: RuleSet, thresholds: [(name: String, value: Double)]) -> [RuleProblem] {
        let literal = try! NSRegularExpression(pattern: #""((?:[^"\\]|\\.)*)""#)
        let number = try! NSRegularExpression(
            pattern: #"(?:(?<![-=])(?:<=|>=|<|>|≤|≥)\s*|\b(?:SINS|Tokuhashi|Tomita|KPS|ECOG|VAS|INR)\s+)(\d+(?:\.\d+)?)(?![\d.]*\d)"#)
        var problems: [RuleProblem] = []
        for file in ruleSet.luaFiles where !file.relativePath.hasSuffix("thresholds.lua") {
            for (index, line) in file.text.components(separatedBy: "\n").enumerated() {
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("--") { continue }
                let ns = line as NSString
                for lit in literal.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
                    let text = ns.substring(with: lit.range(at: 1))
                    let tns = text as NSString
                    for m in number.matches(in: text, range: NSRange(location: 0, length: tns.length)) {
                        guard let value = Double(tns.substring(with: m.range(at: 1))) else { continue }
                        let start = max(0, m.range.location - 40)
                        let end = min(tns.length, m.range.location + m.range.length + 15)
                        let near = tns.substring(with: NSRange(location: start, length: end - start)).lowercased()
                        let hits = thresholds.filter { t in
                            t.value == value
                                && t.name.split(separator: "_").contains { word in
                                    word.count >= 3 && !["min", "max", "many", "two"].contains(word) && near.contains(word)
                                }
                        }
                        for t in hits {
                            problems.append(
                                RuleProblem(
                                    file: file.displayPath, line: index + 1,
                                    message:
                                        "'\(tns.substring(with: m.range))' restates threshold \(t.name); format it from use(\"thresholds\")"
                                ))
                        }
                    }
                }
            }
        }
        return problems
    }

    /// Literal field paths given to c:get / c:opt / c:has that the dictionary does not declare.
    static func undeclaredFieldReads(_ ruleSet: RuleSet, dictionary: FieldDictionary) -> [RuleProblem] {
        var problems: [RuleProblem] = []
        let pattern = try! NSRegularExpression(pattern: #":\s*(?:get|opt|has)\s*\(\s*["']([^"']+)["']"#)
        for file in ruleSet.luaFiles {
            let lines = file.text.components(separatedBy: "\n")
            for (index, line) in lines.enumerated() {
                let code = line.components(separatedBy: "--").first ?? line
                let range = NSRange(code.startIndex..., in: code)
                for match in pattern.matches(in: code, range: range) {
                    guard let r = Range(match.range(at: 1), in: code) else { continue }
                    let path = String(code[r])
                    if dictionary[normalise(path)] == nil {
                        problems.append(
                            RuleProblem(
                                file: file.displayPath, line: index + 1,
                                message: "reads '\(path)', which the field dictionary does not declare"))
                    }
                }
            }
        }
        return problems
    }

    /// What can be seen without running a computed effect: a literal `status = "..."` (with its
    /// `strength`) written in the source of a rule whose effect is a function must be ranked by the
    /// precedence and no stronger than the status the rule declares (the runtime checks every result
    /// when it fires; this finds the literal ones before any case does). Statuses a plan step
    /// `requires` are not effects and are skipped.
    static func computedEffectStatuses(_ ruleSet: RuleSet, described: LuaValue) -> [RuleProblem] {
        let precedence = (described["ruleset"]["precedence"].tableValue?.array ?? []).compactMap(\.stringValue)
        func rank(_ status: String, _ strength: String?) -> Int? {
            if let strength, let i = precedence.firstIndex(of: "\(status):\(strength)") { return i }
            return precedence.firstIndex(of: status)
        }
        let rules = described["rules"].tableValue?.array ?? []
        var starts: [String: [Int]] = [:]
        // "path" is the file as the engine named it when loading (Lua shortens long "file" names).
        for r in rules { if let f = r["path"].stringValue, let l = r["line"].intValue { starts[f, default: []].append(l) } }
        let literal = try! NSRegularExpression(pattern: #"\bstatus\s*=\s*"(\w+)"(?:\s*,\s*strength\s*=\s*"(\w+)")?"#)
        var problems: [RuleProblem] = []
        for r in rules where r["computed"].boolValue == true {
            guard let file = r["path"].stringValue, let line = r["line"].intValue, let id = r["id"].stringValue,
                let text = ruleSet.luaFiles.first(where: { $0.displayPath == file })?.text
            else { continue }
            let lines = text.components(separatedBy: "\n")
            let end = (starts[file] ?? []).filter { $0 > line }.min() ?? lines.count + 1
            let declared = r["declared"].stringValue
            for n in line..<min(end, lines.count + 1) {
                let code = lines[n - 1].components(separatedBy: "--").first ?? ""
                let ns = code as NSString
                for m in literal.matches(in: code, range: NSRange(location: 0, length: ns.length)) {
                    if ns.substring(to: m.range.location).contains("requires") { continue }
                    let status = ns.substring(with: m.range(at: 1))
                    let strength = m.range(at: 2).location == NSNotFound ? nil : ns.substring(with: m.range(at: 2))
                    let shown = strength.map { "\(status):\($0)" } ?? status
                    guard let k = rank(status, strength) else {
                        problems.append(
                            RuleProblem(
                                file: file, line: n,
                                message:
                                    "rule '\(id)': computed effect gives '\(shown)', which the precedence does not rank"))
                        continue
                    }
                    guard let declared, let d = precedence.firstIndex(of: declared) else {
                        problems.append(
                            RuleProblem(
                                file: file, line: n,
                                message:
                                    "rule '\(id)': computed effect can give '\(shown)' but the rule declares no status"))
                        continue
                    }
                    if k < d {
                        problems.append(
                            RuleProblem(
                                file: file, line: n,
                                message:
                                    "rule '\(id)': computed effect can give '\(shown)', stronger than the '\(declared)' it declares"))
                    }
                }
            }
        }
        return problems
    }

    /// `lesion.epidural` and `lesions[0].epidural` are both `lesions[].epidural` in the dictionary.
    static func normalise(_ path: String) -> String {
        var p = path
        if p.hasPrefix("lesion.") { p = "lesions[]." + p.dropFirst("lesion.".count) }
        return p.replacingOccurrences(of: #"\[\d+\]"#, with: "[]", options: .regularExpression)
    }

    /// Criteria (K1-K74, P1-P19, ...) that no rule or score lists in `implements`.
    static func unclaimedCriteria(_ catalog: Catalog, origin: RuleSet) -> [RuleProblem] {
        let ranges = catalog.criteria
        let claimed = Set((catalog.rules + catalog.scores).flatMap(\.implements))
        let ruleset = origin.files.first { $0.relativePath == "ruleset.lua" }
        let rulesetFile = ruleset?.displayPath ?? origin.origin
        let line = (ruleset?.text.components(separatedBy: "\n").firstIndex { $0.contains("criteria =") }).map { $0 + 1 } ?? 0
        var problems: [RuleProblem] = []
        for range in ranges {
            for id in expand(range) where !claimed.contains(id) {
                problems.append(RuleProblem(file: rulesetFile, line: line, message: "criterion \(id) is claimed by no rule or score"))
            }
        }
        return problems
    }

    /// "K1-K74" → K1, K2, …, K74; "P5" → P5.
    public static func expand(_ range: String) -> [String] {
        let parts = range.split(separator: "-").map(String.init)
        guard parts.count == 2,
            let prefix = parts[0].first.map(String.init),
            let from = Int(parts[0].dropFirst()), let to = Int(parts[1].drop { !$0.isNumber }), from <= to
        else {
            return [range]
        }
        return (from...to).map { "\(prefix)\($0)" }
    }
}
