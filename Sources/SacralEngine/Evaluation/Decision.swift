/// The status of a pathway: the five words of the output contract (decision-output.md). Which
/// status outranks which is the ruleset's precedence, not Swift's.
public enum PathwayStatus: String, Sendable, CaseIterable, CustomStringConvertible {
    case recommended
    case option
    case notIndicated = "not_indicated"
    case contraindicated
    case undetermined

    public var description: String { rawValue }

    /// Whether the status puts the pathway forward (a failed rule may never leave one so).
    public var isFavourable: Bool { self == .recommended || self == .option }
}

/// What kind of failure stopped a rule: `error`, `instruction_limit`, `memory` (and, for the
/// evaluation as a whole, the Lua bridge's kinds). A string with names, so that new kinds need no
/// new Swift.
public struct FailureKind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let error: FailureKind = "error"
    public static let instructionLimit: FailureKind = "instruction_limit"
    public static let memory: FailureKind = "memory"
}

/// A place in a rule file.
public struct RuleLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 0 when the line is not known.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// A rule that failed while evaluating a case (an error, the instruction budget, the memory cap).
public struct RuleFailure: Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    /// The message as the output prints it: `file:line: message`.
    public var message: String
    public var kind: FailureKind
    /// The pathways the rule speaks to: decided fail-closed (at `lesion` only, when it is set).
    public var pathways: [String]
    /// Where the failure happened, as data (nil when Lua gave no position).
    public var location: RuleLocation?
    /// The lesion a per-lesion rule failed at (nil for a case-level rule). Each lesion is decided
    /// on its own (P20): that lesion's status is fail-closed, the other lesions' stand on their own
    /// rules, and the pathway's is the most favourable of them.
    public var lesion: String? = nil

    public var description: String { "rule \(rule): \(message)" }
}

/// The engine's answer for one case, as a typed model built once from what the rule runtime
/// returned. ``document`` renders it as decision-output.md's JSON; ``TextReport`` as text.
public struct Decision: Sendable {
    /// The rule set that decided, as every output names it.
    public struct RuleSetIdentity: Sendable, Equatable {
        public var name: String
        public var version: String
        public var sha256: String
    }

    /// One score (SINS, Tokuhashi, …): its value, or why it has none.
    public struct Score: Sendable {
        public enum Outcome: Sendable {
            /// The score's members in output order: `total`, `band`, `items`, `lesion`, then the
            /// rest by name (`min`, `max`, `missing_items` for a partly known score).
            case computed([(key: String, value: JSONValue)])
            /// The fields it could not be computed without.
            case missing([String])
            /// The score's code failed.
            case failed(String?)
        }

        public var id: String
        public var outcome: Outcome

        /// A member of a computed score (`total`, `band`, `lesion`, `items`, …).
        public subscript(member: String) -> JSONValue? {
            guard case .computed(let members) = outcome else { return nil }
            return members.first { $0.key == member }?.value
        }

        public var total: JSONValue? { self["total"].flatMap { $0.isNull ? nil : $0 } }
        public var band: String? { self["band"]?.stringValue }
        public var lesion: String? { self["lesion"]?.stringValue }
    }

    /// An alert (P18): urgency and advice beside the statuses.
    public struct Alert: Sendable {
        public var id: String
        public var level: String
        public var text: String
        public var rule: String
        public var source: String?
    }

    /// Why a pathway has its status: one rule's say, with what it read and its source.
    public struct Reason: Sendable {
        /// What came of the rule: it fired, its inputs were unknown, it failed, or no rule spoke
        /// and the ruleset's default applied.
        public enum Outcome: String, Sendable {
            case fired, unknown, error
            case byDefault = "default"
        }

        public var rule: String
        public var outcome: Outcome
        public var status: PathwayStatus?
        public var strength: String?
        public var lesion: String?
        public var text: String?
        public var source: String?
        public var implements: [String]
        /// The case inputs the rule read, by field path, sorted.
        public var inputs: [(key: String, value: JSONValue)]
        /// With outcome `unknown`: the fields it needed.
        public var missing: [String]?
        public var evidence: JSONValue?
        public var correction: JSONValue?
        /// With outcome `error`: the failure's message.
        public var error: String?

        /// Whether the rule decided (spoke for) the pathway: any outcome but `unknown`.
        public var decided: Bool { outcome != .unknown }
    }

    /// One rule that spoke for a lesion (its full reason, text and inputs, is among the pathway's
    /// reasons, which name the lesion).
    public struct LesionReason: Sendable, Equatable {
        public var rule: String
        public var outcome: Reason.Outcome
        public var status: PathwayStatus?
        public var strength: String?
    }

    /// One lesion's own decision of a per-lesion pathway (P20): each lesion is decided on its own.
    public struct LesionDecision: Sendable {
        public var id: String
        public var status: PathwayStatus
        public var strength: String?
        /// The needle approaches, preferred first (sacroplasty, RFA).
        public var approach: [String]
        /// Radiation: `conventional` or `stereotactic`.
        public var modality: String?
        /// Details the rules set for this lesion, sorted by key.
        public var detail: [(key: String, value: JSONValue)]
        /// The rules that spoke for this lesion (case-level rules included).
        public var reasons: [LesionReason]
        public var missing: [String]

        /// The status with its strength, as one word: `contraindicated:absolute`.
        public var verdict: String { strength.map { "\(status.rawValue):\($0)" } ?? status.rawValue }
    }

    /// The decision for one pathway. A per-lesion pathway's status is its most favourable lesion's
    /// (P20) and is never shown without ``lesions``.
    public struct Pathway: Sendable {
        public var id: String
        public var status: PathwayStatus
        public var strength: String?
        /// Details the rules set (`extent`, `modality`, …), sorted by key.
        public var detail: [(key: String, value: JSONValue)]
        public var reasons: [Reason]
        /// Per-lesion pathways only.
        public var lesions: [LesionDecision]?
        public var missing: [String]

        public func lesion(_ id: String) -> LesionDecision? { lesions?.first { $0.id == id } }
    }

    /// One step of the plan.
    public struct PlanStep: Sendable {
        public var step: Int
        /// A pathway, or a preparatory action (`biopsy`).
        public var pathway: String
        public var timing: String?
        public var text: String?
        public var rule: String
        /// The lesions the step treats (steps of per-lesion pathways), in lesion order.
        public var lesions: [String]?
    }

    /// A field whose absence holds pathways undetermined.
    public struct MissingField: Sendable {
        public var field: String
        /// The pathways the field holds undetermined (a per-lesion pathway: at some lesion).
        public var affects: [String]
        /// For each per-lesion pathway it affects, the lesions the field holds undetermined.
        public var lesions: [(pathway: String, ids: [String])] = []
    }

    /// One rule evaluated for a case and what came of it (with tracing on).
    public struct TraceEntry: Sendable {
        public var rule: String
        /// "fired", "false", "unknown" or "error".
        public var outcome: String
    }

    public var caseID: String
    public var title: String?
    public var file: String
    public var ruleset: RuleSetIdentity
    public var engine: String
    public var scores: [Score]
    public var alerts: [Alert]
    /// Every pathway, in ruleset order.
    public var pathways: [Pathway]
    public var plan: [PlanStep]
    public var missing: [MissingField]
    public var warnings: [String]
    /// Rules that failed; their pathways were decided fail-closed.
    public var failures: [RuleFailure]
    /// With tracing on: every rule evaluated and its outcome.
    public var trace: [TraceEntry] = []

    /// A pathway's decision.
    public func pathway(_ id: String) -> Pathway? { pathways.first { $0.id == id } }

    /// The status of a pathway.
    public func status(of pathway: String) -> PathwayStatus? { self.pathway(pathway)?.status }

    /// The pathway ids, in ruleset order.
    public var pathwayIDs: [String] { pathways.map(\.id) }

    /// A score by id.
    public func score(_ id: String) -> Score? { scores.first { $0.id == id } }

    /// The whole output as decision-output.md's JSON, keys in contract order.
    public var document: JSONValue { DecisionDocument.render(self) }
}
