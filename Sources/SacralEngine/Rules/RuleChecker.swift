import Foundation
import LuaKit

/// One problem `sacral check` found in a rule set.
public struct RuleProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}

/// Static checks of a rule set, without evaluating a case (the model is `opa check`): every file
/// compiles and loads, declarations fit together (duplicate ids, unknown pathways, statuses and
/// alerts, reasons without a source), rules read only declared fields, and every numbered
/// criterion the ruleset lists is claimed by some rule or score.
public enum RuleChecker {
    public static func check(_ ruleSet: RuleSet, limits: LuaLimits = LuaLimits()) -> [RuleProblem] {
        var problems: [RuleProblem] = []
        let state: LuaState
        let runtime: LuaRef
        do {
            (state, runtime) = try Engine.startRuntime(limits: limits)
        } catch {
            return [RuleProblem(file: "engine", line: 0, message: error.message)]
        }
        for file in ruleSet.luaFiles {
            do {
                let chunk = try state.compile(file.text, chunkName: "@" + file.displayPath)
                let loaded = try state.call(runtime, "load_file", [.value(.string(file.displayPath)), .ref(chunk)])
                if loaded["ok"].boolValue != true {
                    problems.append(parse(loaded["message"].stringValue ?? "failed to load", file: file.displayPath))
                }
            } catch {
                problems.append(parse(error.message, file: file.displayPath))
            }
        }
        let finished: LuaValue
        let described: LuaValue
        do {
            finished = try state.call(runtime, "finish_loading")
            described = try state.call(runtime, "describe")
        } catch {
            problems.append(RuleProblem(file: ruleSet.origin, line: 0, message: error.message))
            return problems
        }
        for p in finished["problems"].tableValue?.array ?? [] {
            problems.append(RuleProblem(file: p["file"].stringValue ?? ruleSet.origin, line: p["line"].intValue ?? 0,
                                        message: p["message"].stringValue ?? ""))
        }
        let dictionary: FieldDictionary
        do {
            dictionary = try FieldDictionary(described: described["fields"])
        } catch {
            problems.append(parse(error.message, file: "fields"))
            return problems
        }
        problems += undeclaredFieldReads(ruleSet, dictionary: dictionary)
        problems += unclaimedCriteria(described, origin: ruleSet)
        problems += FHIRMapping.check(ruleSet, dictionary: dictionary,
                                      pathways: (described["ruleset"]["pathways"].tableValue?.array ?? []).compactMap { $0["id"].stringValue },
                                      limits: limits)
        return problems
    }

    /// "file:line: message" back into its parts.
    static func parse(_ message: String, file: String) -> RuleProblem {
        let parts = message.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, let line = Int(parts[1]) {
            return RuleProblem(file: String(parts[0]), line: line, message: parts[2].trimmingCharacters(in: .whitespaces))
        }
        return RuleProblem(file: file, line: 0, message: message)
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
                        problems.append(RuleProblem(file: file.displayPath, line: index + 1,
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
    static func unclaimedCriteria(_ described: LuaValue, origin: RuleSet) -> [RuleProblem] {
        let ranges = (described["ruleset"]["criteria"].tableValue?.array ?? []).compactMap(\.stringValue)
        var claimed = Set<String>()
        for kind in ["rules", "scores"] {
            for entry in described[kind].tableValue?.array ?? [] {
                for id in entry["implements"].tableValue?.array ?? [] { if let s = id.stringValue { claimed.insert(s) } }
            }
        }
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
              let from = Int(parts[0].dropFirst()), let to = Int(parts[1].drop { !$0.isNumber }), from <= to else {
            return [range]
        }
        return (from...to).map { "\(prefix)\($0)" }
    }
}
