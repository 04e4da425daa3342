import Foundation

/// A decision on a case built from FHIR, with the provenance of every field it read.
public struct FHIRDecision: Sendable {
    public var decision: Decision
    public var provenance: [FieldProvenance]
    public var evaluationDate: FHIRDate

    /// The decision document of decision-output.md with one more top-level key, `provenance`:
    /// field path → where its value came from (`resource`, `date`, `element`, `original`, `source`).
    /// A reason's `inputs` name the same paths.
    public var document: JSONValue { document(adding: decision.document) }

    /// `document` from the decision's own document, rendered once by a caller that needs both.
    public func document(adding plain: JSONValue) -> JSONValue {
        guard case .object(var pairs) = plain else { return plain }
        pairs.append(("provenance", .object(provenance.map { ($0.field, $0.json) })))
        return .object(pairs)
    }

    /// The provenance as text for people: every field, and where it came from, the ones the reasons
    /// read first.
    public func provenanceText() -> String {
        var read = Set<String>()
        for (_, pathway) in decision.document["pathways"]?.objectValue ?? [] {
            for reason in pathway["reasons"]?.arrayValue ?? [] {
                for (name, _) in reason["inputs"]?.objectValue ?? [] { read.insert(name) }
            }
        }
        var out = "\nPROVENANCE (evaluation date \(evaluationDate))\n"
        for p in provenance.sorted(by: { (read.contains($0.field) ? 0 : 1, $0.field) < (read.contains($1.field) ? 0 : 1, $1.field) }) {
            out += "  \(p.field) \(read.contains(p.field) ? "(read by reasons) " : "")← \(p.summary)\n"
        }
        return out
    }
}

extension Engine {
    /// The FHIR mapping of this engine's rule set (Rules/fhir.lua), loaded with the engine's limits;
    /// nil when the rule set has none.
    public func fhirMapping() throws(RuleSetError) -> FHIRMapping? {
        try FHIRMapping.load(from: ruleSet, limits: limits)
    }

    /// A reader that builds cases from FHIR through `mapping` and this engine's field dictionary.
    public func fhirReader(_ mapping: FHIRMapping) -> FHIRReader {
        FHIRReader(mapping: mapping, validator: validator)
    }

    /// Evaluates a case built from FHIR; the decision carries the provenance of its fields.
    public func evaluate(_ fhirCase: FHIRCase, trace: Bool = false) -> FHIRDecision {
        FHIRDecision(
            decision: evaluate(fhirCase.validated, trace: trace), provenance: fhirCase.provenance,
            evaluationDate: fhirCase.evaluationDate)
    }
}
