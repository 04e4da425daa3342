import LuaKit

/// What the loaded rules declare about themselves: the ruleset's metadata, its rules and scores.
public struct Catalog: Sendable {
    public struct Rule: Sendable {
        public var id: String
        public var pathways: [String]
        public var implements: [String]
        public var source: String?
        public var summary: String?
        public var file: String
        public var line: Int
        public var perLesion: Bool
    }

    public var name: String
    public var version: String
    public var pathways: [String]
    public var alerts: [String]
    public var sources: [String]
    public var rules: [Rule]
    public var scores: [Rule]
    public var description: LuaValue
}

/// Evaluates cases with a rule set in a sandboxed Lua state.
///
/// The rules are compiled once and the state is reused from case to case; a state that hit its
/// memory cap or instruction budget is rebuilt before the next case. Not `Sendable`: one engine
/// serves one thread of work (make one per worker).
public final class Engine {
    public static let version = "sacral 0.1.0"

    public let ruleSet: RuleSet
    public let limits: LuaLimits
    public let catalog: Catalog
    public let dictionary: FieldDictionary
    public let validator: CaseValidator

    private var state: LuaState
    private var runtime: LuaRef
    private let builder: DecisionBuilder
    /// How many times the state was rebuilt after a limit was hit.
    public private(set) var rebuilds = 0

    /// Whether lines of the rule files are recorded as they run (`sacral test --coverage`).
    public let recordsLines: Bool
    private var linesBeforeRebuild: [String: Set<Int>] = [:]

    public init(ruleSet: RuleSet, limits: LuaLimits = LuaLimits(), recordLines: Bool = false) throws(RuleSetError) {
        self.ruleSet = ruleSet
        self.limits = limits
        self.recordsLines = recordLines
        let (state, runtime) = try Engine.makeState(ruleSet: ruleSet, limits: limits)
        if recordLines { state.enableLineCoverage() }
        self.state = state
        self.runtime = runtime
        let described: LuaValue
        do {
            described = try state.call(runtime, "describe")
        } catch {
            throw RuleSetError(message: "the rules could not be described: \(error.message)")
        }
        dictionary = try FieldDictionary(described: described["fields"])
        validator = CaseValidator(dictionary: dictionary)
        catalog = Engine.catalog(from: described)
        builder = DecisionBuilder(header: [
            ("ruleset", .object([
                ("name", .string(catalog.name)), ("version", .string(catalog.version)), ("sha256", .string(ruleSet.sha256)),
            ])),
            ("engine", .string(Engine.version)),
        ])
    }

    /// A sandboxed state with the trusted runtime loaded and no rules yet.
    static func startRuntime(limits: LuaLimits) throws(RuleSetError) -> (LuaState, LuaRef) {
        let modules = RuleSet.runtimeModules
        guard let entry = modules.first(where: { $0.name == "runtime" }) else {
            throw RuleSetError(message: "the engine's Lua runtime has no entry point (runtime.lua)")
        }
        do {
            let state = try LuaState(limits: limits)
            let entryChunk = try state.compile(entry.text, chunkName: LuaState.trustedChunkPrefix + entry.name)
            let runtime = try state.callKeepingResult(entryChunk, [state.hostTable])
            for module in modules where module.name != "runtime" {
                let chunk = try state.compile(module.text, chunkName: LuaState.trustedChunkPrefix + module.name)
                _ = try state.call(runtime, "provide", [.value(.string(module.name)), .ref(chunk)])
            }
            _ = try state.call(runtime, "start")
            return (state, runtime)
        } catch {
            throw RuleSetError(message: "the engine's Lua runtime failed to start: \(error.message)")
        }
    }

    private static func makeState(ruleSet: RuleSet, limits: LuaLimits) throws(RuleSetError) -> (LuaState, LuaRef) {
        let (state, runtime) = try startRuntime(limits: limits)
        for file in ruleSet.luaFiles {
            let chunk: LuaRef
            do {
                chunk = try state.compile(file.text, chunkName: "@" + file.displayPath)
            } catch {
                throw RuleSetError(message: error.message)
            }
            let loaded: LuaValue
            do {
                loaded = try state.call(runtime, "load_file", [.value(.string(file.displayPath)), .ref(chunk)])
            } catch {
                throw RuleSetError(message: error.message)
            }
            if loaded["ok"].boolValue != true {
                throw RuleSetError(message: loaded["message"].stringValue ?? "\(file.displayPath): failed to load")
            }
        }
        let finished: LuaValue
        do {
            finished = try state.call(runtime, "finish_loading")
        } catch {
            throw RuleSetError(message: "the rules could not be indexed: \(error.message)")
        }
        if finished["ok"].boolValue != true {
            let problems = (finished["problems"].tableValue?.array ?? []).map { p in
                "\(p["file"].stringValue ?? "Rules"):\(p["line"].intValue ?? 0): \(p["message"].stringValue ?? "")"
            }
            throw RuleSetError(message: problems.joined(separator: "\n"))
        }
        return (state, runtime)
    }

    private static func catalog(from described: LuaValue) -> Catalog {
        let meta = described["ruleset"]
        func strings(_ v: LuaValue) -> [String] { (v.tableValue?.array ?? []).compactMap(\.stringValue) }
        func entries(_ v: LuaValue) -> [Catalog.Rule] {
            (v.tableValue?.array ?? []).map { r in
                Catalog.Rule(id: r["id"].stringValue ?? "?", pathways: strings(r["pathways"]), implements: strings(r["implements"]),
                             source: r["source"].stringValue, summary: r["summary"].stringValue,
                             file: r["file"].stringValue ?? "?", line: r["line"].intValue ?? 0,
                             perLesion: r["per_lesion"].boolValue ?? false)
            }
        }
        return Catalog(
            name: meta["name"].stringValue ?? "unnamed", version: meta["version"].stringValue ?? "0",
            pathways: (meta["pathways"].tableValue?.array ?? []).compactMap { $0["id"].stringValue },
            alerts: (meta["alerts"].tableValue?.array ?? []).compactMap { $0["id"].stringValue },
            sources: meta["sources"].tableValue?.sortedKeys ?? [],
            rules: entries(described["rules"]), scores: entries(described["scores"]), description: described)
    }

    /// Reads and validates a case file with this engine's field dictionary.
    public func load(path: String, decoder: CaseDecoder = CaseDecoder()) throws(CaseLoadError) -> ValidatedCase {
        let value: CaseValue
        do { value = try decoder.read(path: path) } catch { throw .unreadable(error) }
        do { return try validator.validate(value, file: path) } catch { throw .invalid(error) }
    }

    /// Evaluates a validated case. Never throws: a failure inside the rules is part of the decision
    /// (failed rules are listed, their pathways are never recommended).
    public func evaluate(_ validated: ValidatedCase, trace: Bool = false) -> Decision {
        let decision: Decision
        do {
            var arguments: [LuaArgument] = [.value(validated.data)]
            if trace { arguments.append(.value(.record(["trace": .boolean(true)]))) }
            let result = try state.call(runtime, "evaluate", arguments)
            decision = builder.build(case: validated, result: result)
        } catch {
            decision = builder.failed(case: validated, pathways: catalog.pathways, error: error)
        }
        if state.hitLimit { rebuild() }
        return decision
    }

    /// Line coverage so far: for each rule file, the lines that can run and the lines that ran.
    public func lineCoverage() -> [LineCoverage] {
        var covered = linesBeforeRebuild
        for (file, lines) in state.coveredLines() { covered[file, default: []].formUnion(lines) }
        let active = (try? state.call(runtime, "active_lines")).map(LuaState.lineSets) ?? [:]
        return active.keys.sorted().map { file in
            LineCoverage(file: file, executable: active[file] ?? [], covered: (covered[file] ?? []).intersection(active[file] ?? []))
        }
    }

    private func rebuild() {
        if recordsLines {
            for (file, lines) in state.coveredLines() { linesBeforeRebuild[file, default: []].formUnion(lines) }
        }
        // The rules loaded before, so they load again; should that ever fail, keep the old state.
        if let (state, runtime) = try? Engine.makeState(ruleSet: ruleSet, limits: limits) {
            if recordsLines { state.enableLineCoverage() }
            self.state = state
            self.runtime = runtime
            rebuilds += 1
        }
    }
}

/// Why a case file could not be evaluated.
public enum CaseLoadError: Error, Sendable, CustomStringConvertible {
    case unreadable(CaseReadError)
    case invalid(CaseInvalid)

    public var description: String {
        switch self {
        case .unreadable(let e): return e.description
        case .invalid(let e): return e.description
        }
    }

    public var file: String {
        switch self {
        case .unreadable(let e): return e.file
        case .invalid(let e): return e.file
        }
    }

    /// Each problem as (field path, message); the path is empty when the file as a whole is bad.
    public var issues: [ValidationIssue] {
        switch self {
        case .unreadable(let e): return [ValidationIssue(path: "", message: e.message)]
        case .invalid(let e): return e.issues
        }
    }
}

/// Which lines of one rule file can run, and which ran.
public struct LineCoverage: Sendable {
    public var file: String
    public var executable: Set<Int>
    public var covered: Set<Int>

    public var percent: Double { executable.isEmpty ? 100 : Double(covered.count) * 100 / Double(executable.count) }

    /// The lines that never ran, as ranges: "12-14, 20".
    public var missedRanges: String {
        let missed = executable.subtracting(covered).sorted()
        var parts: [String] = []
        var i = 0
        while i < missed.count {
            var j = i
            while j + 1 < missed.count && missed[j + 1] <= missed[j] + 3 && executable.filter({ $0 > missed[j] && $0 < missed[j + 1] }).isEmpty { j += 1 }
            parts.append(i == j ? "\(missed[i])" : "\(missed[i])-\(missed[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}
