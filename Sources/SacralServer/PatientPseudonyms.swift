import Foundation
import SacralEngine

/// Replaces a patient's identifiers in FHIR input before it is read, so that neither the case, its
/// provenance, its warnings nor the decision (all of which the log keeps) ever hold them: the
/// Patient's id becomes a pseudonym made from the keyed hash, its identifiers (but the case-id
/// system of Rules/fhir.lua), names and contact details are dropped, and every reference to it is
/// rewritten. The answer to the caller may still name the real patient (a suggestion's subject).
struct PatientPseudonyms {
    let hasher: PatientHasher
    /// `Patient.identifier.system` that carries a sacral case id (kept).
    let caseIDSystem: String?

    static let personalElements = ["name", "telecom", "address", "contact", "photo", "link"]

    func pseudonym(for patientID: String) -> String {
        "patient-" + hasher.hash(patientID).prefix(16)
    }

    /// The first Patient's id in the documents (a REST Bundle names no patient otherwise).
    static func patientID(in documents: [Any]) -> String? {
        for doc in documents {
            if let found = firstPatient(doc) { return found }
        }
        return nil
    }

    private static func firstPatient(_ value: Any) -> String? {
        if let dict = value as? [String: Any] {
            if dict["resourceType"] as? String == "Patient", let id = dict["id"] as? String { return id }
            for (_, v) in dict { if let found = firstPatient(v) { return found } }
        } else if let list = value as? [Any] {
            for v in list { if let found = firstPatient(v) { return found } }
        }
        return nil
    }

    /// The documents with `patientID` replaced by its pseudonym throughout, as trees the FHIR
    /// reader takes (no JSON text is written and read again).
    func apply(_ documents: [(source: String, object: Any)], patientID: String) -> [FHIRJSONDocument] {
        let alias = pseudonym(for: patientID)
        return documents.map { FHIRJSONDocument(source: $0.source, object: rewrite($0.object, id: patientID, alias: alias)) }
    }

    private func rewrite(_ value: Any, id: String, alias: String) -> Any {
        switch FoundationJSONNode(value) {
        case .object(var dict):
            if dict["resourceType"] as? String == "Patient" {
                if dict["id"] as? String == id || dict["id"] == nil { dict["id"] = alias }
                for key in Self.personalElements { dict[key] = nil }
                let kept = (dict["identifier"] as? [[String: Any]] ?? []).filter {
                    caseIDSystem != nil && $0["system"] as? String == caseIDSystem
                }
                dict["identifier"] = kept.isEmpty ? nil : kept
            }
            for (key, v) in dict {
                switch FoundationJSONNode(v) {
                case .string(let text) where key == "reference" || key == "fullUrl":
                    dict[key] = Self.rewriteReference(text, id: id, alias: alias)
                case .object, .array:
                    dict[key] = rewrite(v, id: id, alias: alias)
                default:
                    break
                }
            }
            return dict
        case .array(let list):
            return list.map { rewrite($0, id: id, alias: alias) }
        default:
            return value
        }
    }

    static func rewriteReference(_ text: String, id: String, alias: String) -> String {
        let target = "Patient/" + id
        if text == target { return "Patient/" + alias }
        if text.hasSuffix("/" + target) { return String(text.dropLast(target.count)) + "Patient/" + alias }
        return text
    }
}
