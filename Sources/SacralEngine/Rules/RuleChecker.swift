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
        problems += unclaimedCriteria(Catalog(described: described), origin: ruleSet)
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
