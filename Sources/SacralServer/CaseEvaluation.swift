import Foundation
import SacralEngine

/// The outcome of evaluating one case on a pool engine: everything the response, the metrics and
/// the decision log need, in Sendable form.
public struct CaseEvaluation: Sendable {
    /// The decision document.
    public var document: JSONValue
    /// The document exactly as `sacral evaluate --format json` prints it.
    public var text: String
    public var failures: [String]
    public var rulesetSHA256: String
    /// The case as evaluated, as compact JSON (what the log keeps and replay reads back). For a
    /// case read from FHIR: `{"case", "evaluation_date", "fhir_warnings", "provenance"}`.
    public var caseJSON: String
    /// `case` (a case file's data) or `fhir` (read from FHIR resources).
    public var caseKind: String = "case"

    /// Pathway statuses, for metrics and cards.
    public var statuses: [(pathway: String, status: String)] {
        (document["pathways"]?.objectValue ?? []).compactMap { entry in
            entry.1["status"]?.stringValue.map { (entry.0, $0) }
        }
    }
}

/// A case in the request could not be used: unreadable (400) or failing the field dictionary (422).
public enum CaseRejection: Error, Sendable {
    case unreadable(String)
    case invalid([ValidationIssue])

    var apiError: APIError {
        switch self {
        case .unreadable(let message): return .badRequest(message)
        case .invalid(let issues):
            return APIError(.unprocessableContent, code: "invalid", "the case does not match the field dictionary", issues: issues)
        }
    }
}

/// Decodes, validates and evaluates case data with one engine. Runs on a pool worker thread.
public enum CaseEvaluator {
    /// The label the engine sees as the case's file: fixed, so that replay reproduces the bytes.
    public static let requestLabel = "request"

    /// Evaluates a case. With `whatIfLimit`, the document also carries the `what_if` section
    /// (bounded to that many evaluations); `text`, what the log keeps, stays the plain decision, so
    /// that replay reproduces it.
    public static func evaluate(_ value: CaseValue, engine: Engine, whatIfLimit: Int? = nil) -> Result<CaseEvaluation, CaseRejection> {
        let validated: ValidatedCase
        do {
            validated = try engine.validator.validate(value, file: requestLabel)
        } catch {
            return .failure(.invalid(error.issues))
        }
        let decision = engine.evaluate(validated)
        let plain = decision.document
        var document = plain
        if let whatIfLimit {
            let whatIf = WhatIfExplorer(engine: engine, limit: whatIfLimit).explore(value, file: requestLabel, decision: decision)
            document = plain.appending("what_if", whatIf.json)
        }
        return .success(
            CaseEvaluation(
                document: document, text: plain.serialized() + "\n", failures: decision.failures.map(\.description),
                rulesetSHA256: engine.ruleSet.sha256, caseJSON: CaseJSON.encode(value).serialized(pretty: false)))
    }

    /// Builds a case from FHIR documents (resources or Bundles; `null`s skipped) through the rules'
    /// mapping and evaluates it. The document carries the provenance (for cards); `text`, the plain
    /// decision, is what the log keeps, so that replay reproduces it from the case and warnings.
    public static func evaluateFHIR(
        _ documents: [FHIRJSONDocument], mapping: FHIRMapping, evaluationDate: FHIRDate,
        fallbackID: String, engine: Engine
    ) -> Result<CaseEvaluation, CaseRejection> {
        evaluateFHIR(
            resources: FHIRReader.resources(ofDocuments: documents), mapping: mapping, evaluationDate: evaluationDate,
            fallbackID: fallbackID, engine: engine)
    }

    /// The same from resources already read out of their documents.
    public static func evaluateFHIR(
        resources: [FHIRInputResource], mapping: FHIRMapping, evaluationDate: FHIRDate,
        fallbackID: String, engine: Engine
    ) -> Result<CaseEvaluation, CaseRejection> {
        var reader = engine.fhirReader(mapping)
        reader.assumeOneLesionWhenNone = true
        let fhirCase: FHIRCase
        do {
            fhirCase = try reader.read(resources, evaluationDate: evaluationDate, fallbackID: fallbackID, file: requestLabel)
        } catch {
            return .failure(.unreadable(error.message))
        }
        let decision = engine.evaluate(fhirCase)
        let record = JSONValue.object([
            ("case", CaseJSON.encode(fhirCase.value)),
            ("evaluation_date", .string(fhirCase.evaluationDate.description)),
            ("fhir_warnings", .array(fhirCase.warnings.map(JSONValue.string))),
            ("provenance", .object(fhirCase.provenance.map { ($0.field, $0.json) })),
        ])
        let plain = decision.decision.document
        return .success(
            CaseEvaluation(
                document: decision.document(adding: plain), text: plain.serialized() + "\n",
                failures: decision.decision.failures.map(\.description), rulesetSHA256: engine.ruleSet.sha256,
                caseJSON: record.serialized(pretty: false), caseKind: "fhir"))
    }

    /// Evaluates a logged case again (`sacral replay`): the decision text it gives now.
    public static func replay(caseJSON: String, kind: String, engine: Engine) -> Result<String, CaseRejection> {
        decode(Data(caseJSON.utf8), format: .json).flatMap { value in
            guard kind == "fhir" else { return evaluate(value, engine: engine).map(\.text) }
            guard let inner = value["case"] else { return .failure(.unreadable("the logged FHIR case has no \"case\"")) }
            var validated: ValidatedCase
            do {
                validated = try engine.validator.validate(inner, file: requestLabel)
            } catch let error as CaseInvalid {
                return .failure(.invalid(error.issues))
            } catch {
                return .failure(.unreadable("\(error)"))
            }
            var warnings: [String] = []
            if case .array(let items)? = value["fhir_warnings"] {
                for case .string(let w) in items { warnings.append(w) }
            }
            validated.warnings = warnings + validated.warnings
            return .success(engine.evaluate(validated).document.serialized() + "\n")
        }
    }

    public static func decode(_ bytes: Data, format: CaseDecoder.Format) -> Result<CaseValue, CaseRejection> {
        do {
            return .success(try CaseDecoder().decode(bytes, format: format, file: requestLabel))
        } catch {
            return .failure(.unreadable(error.message))
        }
    }
}

/// Case data as JSON, keys in their original order.
public enum CaseJSON {
    public static func encode(_ value: CaseValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(encode))
        case .object(let pairs): return .object(pairs.map { ($0.key, encode($0.value)) })
        }
    }
}
