import LuaKit

/// Evaluates cases with a rule set in a sandboxed Lua state.
///
/// The rules are compiled once and the state is reused from case to case; a state that hit its
/// memory cap or instruction budget is rebuilt before the next case. Not `Sendable`: one engine
/// serves one thread of work (make one per worker).
public final class Engine {
    public static let version = "sacral 0.1.0"

    public let ruleSet: RuleSet
    public let limits: EngineLimits
    /// What the rules declare about themselves, the rules and scores included: described when
    /// first asked for (an evaluation needs only ``evaluationCatalog``, and a cold `sacral
    /// evaluate` of one case is cheaper without the rest crossing into Swift).
    public var catalog: Catalog {
        if let complete = completeCatalog { return complete }
        var complete = evaluationCatalog
        complete.complete(with: describeCatalogue())
        completeCatalog = complete
        return complete
    }
    /// What evaluating a case and reporting it need of the catalogue: the ruleset's metadata and
    /// vocabulary (pathways, their titles and prepositions, alerts, precedence, sources) and the
    /// field declarations. Its `rules`, `scores` and `numbers` are empty: ask ``catalog`` for those.
    public let evaluationCatalog: Catalog
    private var completeCatalog: Catalog?
    public let dictionary: FieldDictionary
    public let validator: CaseValidator

    private var state: LuaState
    private var runtime: LuaRef
    /// Whether the state's heap is as the collection between cases left it, with nothing run
    /// since: the next case may be pushed as it is (see ``prepareNextCase()``).
    private var heapFresh = false
    private let builder: DecisionBuilder
    /// How many times the state was rebuilt after a limit was hit.
    public private(set) var rebuilds = 0
    /// Why the state could not be rebuilt after a limit was hit; from then on every case is
    /// decided fail-closed with this message (a state that hit a limit is not used again).
    private var broken: RuleSetError?

    /// Whether lines of the rule files are recorded as they run (`sacral test --coverage`).
    public let recordsLines: Bool
    private var linesBeforeRebuild: [String: Set<Int>] = [:]
    /// Set when the lines of a rebuilt state could not be read: coverage would under-report.
    private var coverageLost: RuleSetError?

    public init(ruleSet: RuleSet, limits: EngineLimits = EngineLimits(), recordLines: Bool = false) throws(RuleSetError) {
        self.ruleSet = ruleSet
        self.limits = limits
        self.recordsLines = recordLines
        let (state, runtime) = try Engine.makeState(ruleSet: ruleSet, limits: limits.lua)
        if recordLines { state.enableLineCoverage() }
        self.state = state
        self.runtime = runtime
        let described: LuaValue
        do {
            described = try state.call(runtime, "describe", [.value(.string("evaluation"))])
        } catch {
            throw RuleSetError(message: "the rules could not be described: \(error.message)")
        }
        dictionary = try FieldDictionary(described: described["fields"])
        validator = CaseValidator(dictionary: dictionary)
        evaluationCatalog = Catalog(described: described)
        builder = DecisionBuilder(
            ruleset: Decision.RuleSetIdentity(
                name: evaluationCatalog.name, version: evaluationCatalog.version, sha256: ruleSet.sha256),
            engine: Engine.version)
    }

    /// The "catalogue" part of the runtime's description (numbers, rules, scores). From this
    /// engine's state when it is whole (the next case then starts from the collection between
    /// cases, as after any other call: determinism does not depend on when the catalogue was
    /// asked for); else, or when the description does not fit in the state's memory cap beside
    /// the rules, from a state made for the purpose with three times the cap.
    private func describeCatalogue() -> LuaValue {
        if broken == nil, !state.hitLimit {
            // Like any other call, it leaves the heap to be collected before the next case (off
            // that case's path, by prepareNextCase; the runtime would collect for itself).
            heapFresh = false
            if let described = try? state.call(runtime, "describe", [.value(.string("catalogue"))]) { return described }
            if state.hitLimit { rebuild() }
        }
        var roomy = limits.lua
        roomy.memoryBytes *= 3  // 0 (no cap) stays 0
        do {
            let (state, runtime) = try Engine.makeState(ruleSet: ruleSet, limits: roomy)
            return try state.call(runtime, "describe", [.value(.string("catalogue"))])
        } catch {
            // Unreachable but for the process running out of memory: these rules loaded within
            // the cap, and their description is new tables around the same strings, smaller than
            // the declarations it lists (no instruction budget applies to the runtime's own code).
            preconditionFailure("the rules could not be described: \(error)")
        }
    }

    /// A sandboxed state with the trusted runtime loaded and no rules yet.
    static func startRuntime(limits: LuaLimits) throws(RuleSetError) -> (LuaState, LuaRef) {
        let modules = RuleSet.runtimeModules
        guard let entry = modules.first(where: { $0.name == "runtime" }) else {
            throw RuleSetError(message: "the engine's Lua runtime has no entry point (runtime.lua)")
        }
        do {
            let state = try LuaState(limits: limits)
            let entryChunk = try Precompiled.compile(entry.text, chunkName: LuaState.trustedChunkPrefix + entry.name, in: state)
            let runtime = try state.callKeepingResult(entryChunk, [state.hostTable])
            for module in modules where module.name != "runtime" {
                let chunk = try Precompiled.compile(module.text, chunkName: LuaState.trustedChunkPrefix + module.name, in: state)
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
            if let problem = loadFile(file, state: state, runtime: runtime) { throw RuleSetError(problems: [problem]) }
        }
        let finished: LuaValue
        do {
            finished = try state.call(runtime, "finish_loading")
        } catch {
            throw RuleSetError(message: "the rules could not be indexed: \(error.message)")
        }
        if finished["ok"].boolValue != true {
            throw RuleSetError(problems: problems(finished, origin: ruleSet.origin))
        }
        return (state, runtime)
    }

    /// Compiles and runs one rule file; the problem, with its file and line, when it fails.
    static func loadFile(_ file: RuleSet.File, state: LuaState, runtime: LuaRef) -> RuleProblem? {
        let loaded: LuaValue
        do {
            let chunk = try Precompiled.compile(file.text, chunkName: "@" + file.displayPath, in: state)
            loaded = try state.call(runtime, "load_file", [.value(.string(file.displayPath)), .ref(chunk)])
        } catch {
            return problem(error.message, file: file.displayPath)
        }
        if loaded["ok"].boolValue == true { return nil }
        let message = loaded["message"].stringValue ?? "failed to load"
        if let reported = loaded["file"].stringValue {
            return RuleProblem(file: reported, line: loaded["line"].intValue ?? 0, message: message)
        }
        return problem(message, file: file.displayPath)
    }

    /// A problem from a Lua message: the position Lua put at its head, or the file as a whole.
    static func problem(_ message: String, file: String) -> RuleProblem {
        guard let position = LuaPosition(message: message) else { return RuleProblem(file: file, line: 0, message: message) }
        return RuleProblem(file: position.file, line: position.line, message: position.text)
    }

    /// The problems `finish_loading` reported, as data.
    static func problems(_ finished: LuaValue, origin: String) -> [RuleProblem] {
        (finished["problems"].tableValue?.array ?? []).map { p in
            RuleProblem(file: p["file"].stringValue ?? origin, line: p["line"].intValue ?? 0, message: p["message"].stringValue ?? "")
        }
    }

    /// Reads and validates a case file with this engine's field dictionary.
    public func load(path: String, decoder: CaseDecoder = CaseDecoder()) throws(CaseLoadError) -> ValidatedCase {
        let value: JSONValue
        do { value = try decoder.read(path: path) } catch { throw .unreadable(error) }
        do { return try validator.validate(value, file: path) } catch { throw .invalid(error) }
    }

    /// Evaluates a validated case. Never throws: a failure inside the rules is part of the decision
    /// (failed rules are listed, their pathways are never recommended).
    ///
    /// `extent` says how much of the decision crosses into Swift (``DecisionExtent``): the rules
    /// run the same either way.
    public func evaluate(_ validated: ValidatedCase, trace: Bool = false, extent: DecisionExtent = .full) -> Decision {
        var options: [String: LuaValue] = [:]
        if trace { options["trace"] = .boolean(true) }
        if extent == .reduced { options["summary"] = .boolean(true) }
        return run(validated, options: options)
    }

    /// Evaluates a validated case for the cohort outputs (`--format summary`, `csv`): the same
    /// evaluation as ``evaluate(_:trace:)`` — every rule runs in its own window with the same
    /// budgets, on the same fresh heap — of which only what ``CohortSummary`` reads crosses into
    /// Swift (no texts, inputs or plan); the scores the output lists are not computed for it (a
    /// rule that asks for one, `c:score`, still has it computed, as always). The failures are
    /// whole, for the messages a batch prints. `CohortOutputTests` hold it to the summary of the
    /// full decision.
    public func summarize(_ validated: ValidatedCase) -> (summary: CohortSummary, failures: [RuleFailure]) {
        // The reduced decision never leaves this function: only its summary does.
        let reduced = evaluate(validated, extent: .reduced)
        return (CohortSummary(reduced), reduced.failures)
    }

    /// Makes the heap the next case will find: the collection between cases (a young one when the
    /// case before left nothing but garbage, else a full one), before the case is pushed. Every
    /// evaluation does it first when it was not done since the last; a server calls it once it has
    /// answered, so that the collection is not on the next request's path. Either way a case meets
    /// the same heap (determinism does not depend on who called it, or when).
    public func prepareNextCase() {
        guard !heapFresh, broken == nil else { return }
        do {
            _ = try state.call(runtime, "fresh_heap")
            heapFresh = true
        } catch {
            // The case collects for itself (the runtime's fallback); a state that hit a limit
            // here is rebuilt like after a case.
            if state.hitLimit { rebuild() }
        }
    }

    private func run(_ validated: ValidatedCase, options: [String: LuaValue]) -> Decision {
        if let broken {
            return builder.failed(case: validated, pathways: evaluationCatalog.pathways, message: broken.message, kind: .error)
        }
        prepareNextCase()
        heapFresh = false
        let decision: Decision
        do {
            var arguments: [LuaArgument] = [.value(validated.data)]
            if !options.isEmpty { arguments.append(.value(.record(options))) }
            let result = try state.callTree(runtime, "evaluate", arguments)
            do {
                decision = try builder.build(case: validated, result: result.root)
            } catch {
                decision = builder.failed(
                    case: validated, pathways: evaluationCatalog.pathways,
                    message: "the rule runtime returned a decision the engine cannot read: \(error.message)", kind: .error)
            }
        } catch {
            decision = builder.failed(
                case: validated, pathways: evaluationCatalog.pathways, message: error.message,
                kind: FailureKind(rawValue: error.kind.rawValue))
        }
        if state.hitLimit { rebuild() }
        return decision
    }

    /// The collections between cases this engine's state made so far (young, full).
    var collectionsBetweenCases: (young: Int, full: Int) { state.collectionsBetweenCases }

    /// The bytes the Lua state holds as the next case will find them (after the collection each
    /// case starts with): the same after any cases as in a fresh engine.
    func heapBetweenCases() throws(LuaError) -> Int {
        _ = try state.call(runtime, "fresh_heap")
        heapFresh = true
        return state.memoryUse.current
    }

    /// Line coverage so far: for each rule file, the lines that can run and the lines that ran.
    public func lineCoverage() throws(RuleSetError) -> [LineCoverage] {
        if let coverageLost { throw coverageLost }
        var covered = linesBeforeRebuild
        let active: [String: Set<Int>]
        do {
            for (file, lines) in try state.coveredLines() { covered[file, default: []].formUnion(lines) }
            heapFresh = false
            active = LuaState.lineSets(try state.call(runtime, "active_lines"))
        } catch {
            throw RuleSetError(message: "the lines of the rule files could not be listed: \(error.message)")
        }
        return active.keys.sorted().map { file in
            LineCoverage(file: file, executable: active[file] ?? [], covered: (covered[file] ?? []).intersection(active[file] ?? []))
        }
    }

    private func rebuild() {
        do {
            if recordsLines {
                for (file, lines) in try state.coveredLines() { linesBeforeRebuild[file, default: []].formUnion(lines) }
            }
        } catch {
            coverageLost = RuleSetError(message: "the lines run before a state rebuild could not be read: \(error.message)")
        }
        do {
            let (state, runtime) = try Engine.makeState(ruleSet: ruleSet, limits: limits.lua)
            if recordsLines { state.enableLineCoverage() }
            self.state = state
            self.runtime = runtime
            heapFresh = false
            rebuilds += 1
        } catch {
            broken = error
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
            while j + 1 < missed.count && missed[j + 1] <= missed[j] + 3
                && executable.filter({ $0 > missed[j] && $0 < missed[j + 1] }).isEmpty
            { j += 1 }
            parts.append(i == j ? "\(missed[i])" : "\(missed[i])-\(missed[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}

/// How much of a decision an evaluation hands to Swift. The rules run the same either way: every
/// rule in its own window with the same budgets, on the same fresh heap, so every status,
/// strength, reason's rule and outcome, lesion, alert, missing field and failure is the same.
public enum DecisionExtent: Sendable {
    /// The whole decision: what every output prints.
    case full
    /// What the cohort outputs (``CohortSummary``) and most `expect:` checks read: each pathway's
    /// status, strength and missing fields, its reasons' rule, outcome, status and strength, each
    /// lesion's status, strength, approach, modality and missing fields; alerts, missing fields,
    /// failures and the trace. No scores (those no rule asked for are not computed, so the
    /// warnings are only those of the rules and of the scores they asked for), plan, texts, inputs
    /// or details.
    case reduced
}
