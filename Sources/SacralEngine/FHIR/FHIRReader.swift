import Foundation
import LuaKit

/// Where one case field's value came from: a resource (type/id, date, element) or a questionnaire answer.
public struct FieldProvenance: Sendable, Equatable {
    /// The concrete field path, as reasons name their inputs: `labs.inr`, `lesions[0].diameter_cm`.
    public var field: String
    /// `Observation/o-17`, `QuestionnaireResponse/qr-1`.
    public var reference: String
    /// The day of the fact (effective, authored, performed), when the resource gives one; for a
    /// derived age, the evaluation date.
    public var date: String?
    /// The element read (`valueQuantity`, `birthDate`, `code`, `item` …).
    public var element: String?
    /// The value as the resource wrote it, when it differs from the field's (`210 10*3/uL`, `1958-04-11`).
    public var original: String?
    /// The file or prefetch key the resource came from.
    public var source: String
    /// Other resources or answers that said the same.
    public var corroboratedBy: [String] = []

    /// `Observation/o-17 (2026-11-20)`.
    public var summary: String {
        var s = reference
        var details: [String] = []
        if let date { details.append(date) }
        if let original { details.append(element.map { "\($0) \(original)" } ?? original) }
        if !details.isEmpty { s += " (" + details.joined(separator: ", ") + ")" }
        if !corroboratedBy.isEmpty { s += "; also " + corroboratedBy.joined(separator: ", ") }
        return s
    }

    /// The provenance as JSON (decision output, key `provenance`).
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [("resource", .string(reference))]
        if let date { pairs.append(("date", .string(date))) }
        if let element { pairs.append(("element", .string(element))) }
        if let original { pairs.append(("original", .string(original))) }
        pairs.append(("source", .string(source)))
        if !corroboratedBy.isEmpty { pairs.append(("corroborated_by", .array(corroboratedBy.map(JSONValue.string)))) }
        return .object(pairs)
    }
}

/// A case built from FHIR resources: ready to evaluate, with the provenance of every field and the
/// warnings about resources that could not be used.
public struct FHIRCase: Sendable {
    /// The case as the rules see it; its `warnings` include the FHIR warnings.
    public var validated: ValidatedCase
    /// The case as plain data (what a case file would hold), for export and comparison.
    public var value: CaseValue
    /// One entry per field given, in field order.
    public var provenance: [FieldProvenance]
    /// Resources or answers that could not be used, each naming the resource and the field.
    public var warnings: [String]
    public var evaluationDate: FHIRDate
}

/// Why FHIR input could not be read at all: malformed JSON, not a Bundle, no usable case. Exit 2.
public struct FHIRInputError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
}

/// Builds a case from FHIR resources through the mapping of Rules/fhir.lua.
///
/// The reader never guesses: a resource it cannot use (wrong type, no value, a unit it cannot
/// convert, an ambiguous or outdated choice, disagreement between the record and the
/// questionnaire) is a warning naming the resource and the field, and the field stays unknown.
public struct FHIRReader: Sendable {
    public let mapping: FHIRMapping
    public let validator: CaseValidator
    /// With no lesion in the questionnaire answers, assume one lesion whose every detail is
    /// unknown (with a warning) instead of refusing the input. For services that must answer from
    /// the record alone (CDS Hooks); the command line refuses.
    public var assumeOneLesionWhenNone = false

    public init(mapping: FHIRMapping, validator: CaseValidator) {
        self.mapping = mapping
        self.validator = validator
    }

    // MARK: - Parsing

    /// The largest Bundle file read (a patient's record, not a server dump).
    public static let maxBundleBytes = 32 << 20

    /// The resources of a Bundle file's bytes (`collection`, `searchset`, `transaction`, …) and its
    /// timestamp. Malformed JSON or anything but a Bundle throws, naming the file.
    public static func resources(ofBundle data: Data, file: String) throws(FHIRInputError) -> (
        resources: [FHIRInputResource], timestamp: String?
    ) {
        let (object, timestamp) = try parseBundle(data, file: file)
        return (FHIRDocument(json: object).resources(source: file), timestamp)
    }

    /// A Bundle file's bytes checked as `resources(ofBundle:file:)` checks them, and parsed: the
    /// tree (for `resources(ofDocuments:)`) and the timestamp.
    public static func parseBundle(_ data: Data, file: String) throws(FHIRInputError) -> (object: Any, timestamp: String?) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            throw FHIRInputError(file: file, message: "is not valid JSON: \(detail)")
        }
        // Two values for one key ("value": 1.1, "value": 9.0): JSONSerialization keeps one silently.
        let duplicate: (String, Int)?
        do {
            duplicate = try CaseDecoder.duplicateKey(in: data, file: file)
        } catch {
            throw FHIRInputError(file: file, message: error.message)
        }
        if let (key, line) = duplicate {
            throw FHIRInputError(file: file, message: "is not valid JSON: duplicate key '\(key)' at line \(line)")
        }
        guard let dict = object as? [String: Any] else {
            throw FHIRInputError(
                file: file, message: "expected a FHIR Bundle (a JSON object), got a JSON \(object is [Any] ? "list" : "value")")
        }
        guard let type = dict["resourceType"] as? String else {
            throw FHIRInputError(file: file, message: "resourceType: expected \"Bundle\", got none")
        }
        guard type == "Bundle" else { throw FHIRInputError(file: file, message: "resourceType: expected \"Bundle\", got \"\(type)\"") }
        if let entries = dict["entry"], !(entries is [Any]) {
            throw FHIRInputError(file: file, message: "entry: expected a list of entries")
        }
        return (object, dict["timestamp"] as? String)
    }

    /// The resources of several JSON documents, each a resource or a Bundle (as a CDS Hooks
    /// prefetch holds them; `null` and non-objects are skipped). `source` names each document
    /// in warnings and provenance (e.g. the prefetch key).
    public static func resources(ofDocuments documents: [FHIRJSONDocument]) -> [FHIRInputResource] {
        var out: [FHIRInputResource] = []
        for document in documents { out += FHIRDocument(json: document.object).resources(source: document.source) }
        return out
    }

    /// Reads Bundle files into one case. The evaluation date is `date`, else the first Bundle's
    /// timestamp; without either the input is refused (age and recency need it; never the clock).
    public func read(bundleFiles files: [String], evaluationDate date: FHIRDate?) throws(FHIRInputError) -> FHIRCase {
        var resources: [FHIRInputResource] = []
        var timestamp: String?
        for file in files {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            guard size <= Self.maxBundleBytes else {
                throw FHIRInputError(file: file, message: "is larger than the \(Self.maxBundleBytes >> 20) MiB a Bundle file may have")
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw FHIRInputError(file: file, message: "no such file, or it cannot be read")
            }
            let (more, stamp) = try Self.resources(ofBundle: data, file: file)
            resources += more
            if timestamp == nil { timestamp = stamp }
        }
        guard let evaluationDate = date ?? timestamp.flatMap(FHIRDate.init) else {
            throw FHIRInputError(file: files.first ?? "-", message: "no evaluation date: give --date YYYY-MM-DD (or a Bundle.timestamp)")
        }
        let stem = URL(fileURLWithPath: files.first ?? "fhir").deletingPathExtension().lastPathComponent
        return try read(resources, evaluationDate: evaluationDate, fallbackID: stem, file: files.joined(separator: ", "))
    }

    // MARK: - Building the case

    /// Builds the case from resources at an evaluation date. `fallbackID` is the case id when no
    /// Patient gives one; `file` names the input in messages. Throws only when no valid case can
    /// be built at all (e.g. no lesion and ``assumeOneLesionWhenNone`` is off).
    public func read(
        _ resources: [FHIRInputResource], evaluationDate: FHIRDate, fallbackID: String,
        file: String
    ) throws(FHIRInputError) -> FHIRCase {
        var state = ReadState(evaluationDate: evaluationDate)
        // Drop duplicates (the same resource from two prefetch keys).
        var seen = Set<String>()
        let unique = resources.filter { r in
            if r.reference.hasSuffix("/?") { return true }
            return seen.insert(r.reference).inserted
        }
        let patients = unique.filter { if case .patient = $0.resource { return true } else { return false } }
        let patientIDs = Set(patients.map(\.reference))
        if patientIDs.count > 1 {
            throw FHIRInputError(
                file: file,
                message:
                    "the input holds \(patientIDs.count) Patients (\(patientIDs.sorted().joined(separator: ", "))); one patient per evaluation"
            )
        }
        // Another patient's data is never read: a resource whose subject names someone else is dropped.
        var ofPatient = unique
        if let patient = patients.first {
            ofPatient = unique.filter { r in
                if r.isAbout(patient) { return true }
                state.warn("\(r.reference): its subject \(r.resource.patientReference ?? "?") is not \(patient.reference); not used")
                return false
            }
        }
        for map in mapping.fields {
            switch map.resource {
            case .patient: if patientIDs.count == 1 { readPatient(map, patients[0], &state) }
            case .observation: readObservation(map, ofPatient, &state)
            case .condition, .allergy, .procedure: readCoded(map, ofPatient, &state)
            }
        }
        let answers = readQuestionnaire(ofPatient, &state)

        // The case id: Patient.identifier of the declared system, else Patient.id.
        var caseID = fallbackID
        var idProvenance: FieldProvenance?
        if patientIDs.count == 1, case .patient(let p) = patients[0].resource {
            if let system = mapping.caseIDSystem, let v = p.identifier.first(where: { $0.system == system })?.value {
                caseID = v
                idProvenance = FieldProvenance(
                    field: "id", reference: patients[0].reference, element: "identifier", source: patients[0].source)
            } else if let id = p.id {
                caseID = id
                idProvenance = FieldProvenance(field: "id", reference: patients[0].reference, element: "id", source: patients[0].source)
            }
        }

        // Merge the record and the answers: they must agree.
        var values: [String: (CaseValue, FieldProvenance)] = state.values
        for (field, answer) in answers.scalars {
            if let (recorded, prov) = values[field] {
                if sameValue(recorded, answer.0) {
                    var p = prov
                    p.corroboratedBy.append(answer.1.reference + " item " + field)
                    values[field] = (recorded, p)
                } else {
                    state.warn(
                        "\(field): the record says \(recorded.shortDescription) (\(prov.reference)) but \(answer.1.reference) answers \(answer.0.shortDescription); left unknown"
                    )
                    values[field] = nil
                }
            } else if state.conflicted.contains(field) {
                continue  // the record was already ambiguous: an answer does not settle it silently
            } else {
                values[field] = answer
            }
        }

        var lesions = answers.lesions
        if lesions.isEmpty {
            guard assumeOneLesionWhenNone else {
                throw FHIRInputError(
                    file: file,
                    message:
                        "lesions: no lesion in the questionnaire answers (\(mapping.questionnaireURL)); the imaging details of at least one lesion are needed"
                )
            }
            state.warn("lesions: no lesion in the questionnaire answers; one lesion with every detail unknown assumed")
            lesions = [(.object([("id", .string("unknown"))]), [])]
        }
        var provenance: [FieldProvenance] = []
        if let idProvenance { provenance.append(idProvenance) }
        let built = assemble(id: caseID, values: values, lesions: lesions, provenance: &provenance)

        // Validate; a value the dictionary refuses is a warning, and the field stays unknown.
        var current = built
        var removedFields = Set<String>()
        for _ in 0..<8 {
            do {
                var validated = try validator.validate(current, file: file)
                validated.warnings = state.warnings + validated.warnings
                let kept = provenance.filter { !removedFields.contains($0.field) }
                return FHIRCase(
                    validated: validated, value: current, provenance: kept, warnings: state.warnings,
                    evaluationDate: evaluationDate)
            } catch {
                var removedAny = false
                for issue in error.issues {
                    let source = provenance.first { $0.field == issue.path }?.summary ?? "the input"
                    if issue.path.isEmpty || issue.path == "id" || issue.path == "lesions" { continue }
                    // A value that is there and wrong can be dropped; a required one that is absent cannot.
                    let without = removing(issue.path, from: current)
                    if without == current { continue }
                    state.warn("\(issue.path) from \(source): \(issue.message); left unknown")
                    current = without
                    removedFields.insert(issue.path)
                    removedAny = true
                }
                if !removedAny {
                    throw FHIRInputError(file: file, message: error.issues.map(\.description).joined(separator: "; "))
                }
            }
        }
        throw FHIRInputError(file: file, message: "the case built from the input does not validate")
    }

    // MARK: - Record

    struct ReadState {
        var evaluationDate: FHIRDate
        var values: [String: (CaseValue, FieldProvenance)] = [:]
        var warnings: [String] = []
        var conflicted = Set<String>()
        mutating func warn(_ text: String) { if !warnings.contains(text) { warnings.append(text) } }
        mutating func set(_ field: String, _ value: CaseValue, _ prov: FieldProvenance) { values[field] = (value, prov) }
    }

    private func readPatient(_ map: FHIRMapping.FieldMap, _ input: FHIRInputResource, _ state: inout ReadState) {
        guard case .patient(let p) = input.resource else { return }
        switch map.element {
        case "birthDate":
            guard let text = p.birthDate else {
                if input.unreadable.contains("birthDate") {
                    state.warn("\(input.reference): birthDate unreadable; \(map.field) left unknown")
                }
                return
            }
            guard let birth = FHIRDate(text) else {
                state.warn("\(input.reference): birthDate \(text) is not a full date; \(map.field) left unknown")
                return
            }
            guard birth <= state.evaluationDate else {
                state.warn(
                    "\(input.reference): birthDate \(text) is after the evaluation date \(state.evaluationDate); \(map.field) left unknown")
                return
            }
            state.set(
                map.field, .int(Int64(birth.years(until: state.evaluationDate))),
                FieldProvenance(
                    field: map.field, reference: input.reference, date: state.evaluationDate.description,
                    element: "birthDate", original: text, source: input.source))
        case "gender":
            guard let gender = p.gender else { return }
            if let value = map.values.first(where: { $0.gender == gender }) {
                state.set(
                    map.field, .string(value.value),
                    FieldProvenance(field: map.field, reference: input.reference, element: "gender", source: input.source))
            } else if gender != "unknown" {
                state.warn("\(input.reference): gender '\(gender)' has no value in the mapping; \(map.field) left unknown")
            }
        default: break
        }
    }

    /// Reads one Observation's value in the field's unit; a warning and nil when it cannot.
    private func observationValue(
        _ map: FHIRMapping.FieldMap, _ o: FHIRObservation, _ ref: String,
        _ state: inout ReadState
    ) -> (Double, String?, String)? {
        if let q = o.valueQuantity {
            guard let value = q.value else {
                state.warn("\(ref): valueQuantity has no value; not used for \(map.field)")
                return nil
            }
            let unit = (q.system == nil || q.system == "http://unitsofmeasure.org") ? (q.code ?? q.unit) : q.unit
            let shown = "\(compact(value))\(unit.map { " " + $0 } ?? "")"
            guard let unit, !unit.isEmpty else {
                if map.unitless || map.unit == nil { return (value, nil, "valueQuantity") }
                state.warn("\(ref): \(shown) has no unit (expected \(map.unit!)); not used for \(map.field)")
                return nil
            }
            if unit == map.unit { return (value, shown, "valueQuantity") }
            if let factor = map.units[unit] { return (roundConverted(value * factor), shown, "valueQuantity") }
            let accepted = ([map.unit].compactMap { $0 } + map.units.keys.sorted().filter { $0 != map.unit }).joined(separator: ", ")
            state.warn(
                "\(ref): unit '\(unit)' cannot be converted to \(map.unit ?? "the field's unit") (accepted: \(accepted)); not used for \(map.field)"
            )
            return nil
        }
        if let i = o.valueInteger { return (Double(i), nil, "valueInteger") }
        if let concept = o.valueCodeableConcept, !map.answers.isEmpty {
            let numbers = Set(
                concept.coding.compactMap { c in
                    map.answers.first { $0.key.system == c.system && $0.key.code == c.code }?.value
                })
            if numbers.count == 1, let n = numbers.first {
                return (n, concept.coding.compactMap(\.code).joined(separator: ","), "valueCodeableConcept")
            }
            state.warn(
                "\(ref): valueCodeableConcept \(concept.coding.compactMap(\.code).joined(separator: ", ")) is \(numbers.isEmpty ? "not one of the mapped answers" : "ambiguous"); not used for \(map.field)"
            )
            return nil
        }
        if let element = o.valueElement {
            state.warn(
                "\(ref): \(element)\(o.unreadable.contains(element) ? " is unreadable" : " is not a number"); not used for \(map.field)")
        } else {
            state.warn("\(ref): no value; not used for \(map.field)")
        }
        return nil
    }

    private func readObservation(_ map: FHIRMapping.FieldMap, _ inputs: [FHIRInputResource], _ state: inout ReadState) {
        struct Candidate {
            var input: FHIRInputResource
            var instant: FHIRInstant
            var value: Double
            var original: String?
            var element: String
        }
        var candidates: [Candidate] = []
        for input in inputs {
            guard case .observation(let o) = input.resource,
                map.matches(o.code, codes: map.codes, text: map.text)
            else { continue }
            let status = o.status ?? ""
            if status == "entered-in-error" { continue }
            guard map.statuses.contains(status) else {
                state.warn(
                    "\(input.reference): status '\(status.isEmpty ? "none" : status)' is not \(map.statuses.joined(separator: "/")); not used for \(map.field)"
                )
                continue
            }
            guard let dateText = o.date, let instant = FHIRInstant(dateText) else {
                state.warn("\(input.reference): no readable effective date; not used for \(map.field)")
                continue
            }
            guard instant.day <= state.evaluationDate else {
                state.warn(
                    "\(input.reference): dated \(instant.day), after the evaluation date \(state.evaluationDate); not used for \(map.field)"
                )
                continue
            }
            guard let (value, original, element) = observationValue(map, o, input.reference, &state) else { continue }
            candidates.append(Candidate(input: input, instant: instant, value: value, original: original, element: element))
        }
        guard let latest = candidates.max(by: { $0.instant < $1.instant }) else { return }
        let tied = candidates.filter { $0.instant == latest.instant }
        if tied.contains(where: { $0.value != latest.value }) {
            state.warn(
                "\(map.field): \(tied.map { "\($0.input.reference) says \(compact($0.value))" }.joined(separator: ", ")) at the same time \(latest.instant.day); ambiguous, left unknown"
            )
            state.conflicted.insert(map.field)
            return
        }
        if let days = map.withinDays, state.evaluationDate.dayNumber - latest.instant.day.dayNumber > days {
            state.warn(
                "\(map.field): the most recent, \(latest.input.reference) of \(latest.instant.day), is older than \(days) days before the evaluation date \(state.evaluationDate); left unknown"
            )
            return
        }
        let value: CaseValue =
            latest.value.rounded() == latest.value && abs(latest.value) < 1e15 ? .int(Int64(latest.value)) : .double(latest.value)
        var prov = FieldProvenance(
            field: map.field, reference: latest.input.reference, date: latest.instant.day.description,
            element: latest.element, original: latest.original, source: latest.input.source)
        prov.corroboratedBy = tied.filter { $0.input.reference != latest.input.reference }.map(\.input.reference)
        state.set(map.field, value, prov)
    }

    private static let refutedOrError: Set<String> = ["refuted", "entered-in-error"]

    private func readCoded(_ map: FHIRMapping.FieldMap, _ inputs: [FHIRInputResource], _ state: inout ReadState) {
        // (value, input, date) for each resource that speaks.
        var said: [(CaseValue, FHIRInputResource, String?)] = []
        for input in inputs {
            var concepts: [FHIRCodeableConcept] = []
            var clinical: String?
            var verification: String?
            var status: String?
            var date: String?
            var sites: [FHIRCodeableConcept] = []
            switch (map.resource, input.resource) {
            case (.condition, .condition(let c)):
                concepts = [c.code].compactMap { $0 }
                clinical = c.clinicalStatus?.anyCode
                verification = c.verificationStatus?.anyCode
                date = c.onsetDateTime ?? c.recordedDate
                sites = c.bodySite
            case (.allergy, .allergy(let a)):
                concepts = [a.code].compactMap { $0 } + a.reaction.compactMap(\.substance)
                clinical = a.clinicalStatus?.anyCode
                verification = a.verificationStatus?.anyCode
                date = a.recordedDate
            case (.procedure, .procedure(let p)):
                concepts = [p.code].compactMap { $0 }
                status = p.status
                date = p.date
                sites = p.bodySite
            default: continue
            }
            // Which value does this resource say?
            var value: CaseValue?
            if map.values.isEmpty {
                if concepts.contains(where: { map.matches($0, codes: map.codes, text: map.text) }) { value = .bool(true) }
            } else {
                let hits = map.values.filter { v in concepts.contains { map.matches($0, codes: v.codes, text: v.text) } }
                if hits.count > 1 {
                    state.warn(
                        "\(input.reference): its code matches several values of \(map.field) (\(hits.map(\.value).joined(separator: ", "))); not used"
                    )
                    continue
                }
                value = hits.first.map { .string($0.value) }
            }
            guard var v = value else { continue }
            if verification == "entered-in-error" || status == "entered-in-error" { continue }
            if !map.bodySite.isEmpty {
                if sites.isEmpty {
                    state.warn(
                        "\(input.reference): no body site (expected \(map.bodySite.map(\.description).joined(separator: ", "))); not used for \(map.field)"
                    )
                    continue
                }
                if !sites.contains(where: { map.matches($0, codes: map.bodySite, text: []) }) { continue }
            }
            if map.resource == .procedure {
                guard let status, map.statuses.contains(status) else { continue }
            } else {
                if verification == "refuted" {
                    guard map.values.isEmpty else { continue }
                    v = .bool(false)
                } else {
                    guard let clinical else {
                        state.warn("\(input.reference): no clinicalStatus; not used for \(map.field)")
                        continue
                    }
                    guard map.clinicalStatuses.contains(clinical) else { continue }
                }
            }
            said.append((v, input, date.flatMap { FHIRDate($0)?.description }))
        }
        guard let first = said.first else { return }
        let distinct = said.reduce(into: [CaseValue]()) { acc, s in if !acc.contains(s.0) { acc.append(s.0) } }
        if distinct.count > 1 {
            state.warn(
                "\(map.field): the record disagrees (\(said.map { "\($0.1.reference) says \($0.0.shortDescription)" }.joined(separator: ", "))); left unknown"
            )
            state.conflicted.insert(map.field)
            return
        }
        var prov = FieldProvenance(field: map.field, reference: first.1.reference, date: first.2, element: "code", source: first.1.source)
        prov.corroboratedBy = said.dropFirst().map(\.1.reference)
        state.set(map.field, first.0, prov)
    }

    // MARK: - Questionnaire

    struct Answers {
        var scalars: [String: (CaseValue, FieldProvenance)] = [:]
        var lesions: [(CaseValue, [FieldProvenance])] = []
    }

    private func readQuestionnaire(_ inputs: [FHIRInputResource], _ state: inout ReadState) -> Answers {
        var usable: [(FHIRQuestionnaireResponse, FHIRInputResource)] = []
        for input in inputs {
            guard case .questionnaireResponse(let qr) = input.resource else { continue }
            guard mapping.answersQuestionnaire(qr) else { continue }
            switch qr.status ?? "" {
            case "completed", "amended": usable.append((qr, input))
            case "entered-in-error", "stopped": continue
            default: state.warn("\(input.reference): status '\(qr.status ?? "none")' is not completed/amended; its answers are not used")
            }
        }
        guard !usable.isEmpty else { return Answers() }
        let ordered = usable.sorted {
            ($0.0.authored.flatMap(FHIRInstant.init)?.seconds ?? Int.min) < ($1.0.authored.flatMap(FHIRInstant.init)?.seconds ?? Int.min)
        }
        let (qr, input) = ordered.last!
        if ordered.count > 1 {
            let previous = ordered[ordered.count - 2]
            if previous.0.authored == qr.authored {
                state.warn(
                    "\(previous.1.reference) and \(input.reference) are equally recent answers to the questionnaire; neither is used")
                return Answers()
            }
            state.warn("\(ordered.dropLast().map(\.1.reference).joined(separator: ", ")) superseded by the more recent \(input.reference)")
        }
        let date = qr.authored.flatMap { FHIRDate($0)?.description }
        var answers = Answers()
        func visit(_ items: [FHIRQuestionnaireResponse.Item]) {
            for item in items {
                guard let linkId = item.linkId else { continue }
                guard let field = validator.dictionary[linkId] else {
                    if !item.item.isEmpty {
                        visit(item.item)
                    } else {
                        state.warn("\(input.reference): item '\(linkId)' is not a case field; ignored")
                    }
                    continue
                }
                if field.kind == .object {
                    visit(item.item)
                    continue
                }
                if field.kind == .list && field.itemKind == .object {
                    // A repeating group: one entry per item (lesion).
                    var pairs: [(key: String, value: CaseValue)] = []
                    var provs: [FieldProvenance] = []
                    let index = answers.lesions.count
                    for child in item.item {
                        guard let childLink = child.linkId, validator.dictionary[childLink] != nil,
                            let key = childLink.split(separator: ".").last.map(String.init)
                        else {
                            state.warn("\(input.reference): item '\(child.linkId ?? "?")' in '\(linkId)' is not a case field; ignored")
                            continue
                        }
                        guard let value = answerValue(child, validator.dictionary[childLink]!) else { continue }
                        pairs.append((key, value))
                        let concrete = "\(linkId)[\(index)].\(key)"
                        provs.append(
                            FieldProvenance(
                                field: concrete, reference: input.reference, date: date, element: "item \(childLink)", source: input.source)
                        )
                    }
                    answers.lesions.append((.object(pairs), provs))
                    continue
                }
                guard let value = answerValue(item, field) else { continue }
                answers.scalars[linkId] = (
                    value,
                    FieldProvenance(
                        field: linkId, reference: input.reference, date: date,
                        element: "item", source: input.source)
                )
            }
        }
        visit(qr.item)
        return answers
    }

    private func answerValue(_ item: FHIRQuestionnaireResponse.Item, _ field: FieldDictionary.Field) -> CaseValue? {
        let values = item.answer.compactMap(\.value)
        guard !values.isEmpty else { return nil }
        if field.kind == .list {
            return .array(
                values.map { v in
                    if field.itemKind == .integer, case .string(let s) = v, let i = Int64(s) { return .int(i) }
                    return v
                })
        }
        return values[0]
    }

    // MARK: - Assembly

    /// The case as nested objects, in dictionary order.
    private func assemble(
        id: String, values: [String: (CaseValue, FieldProvenance)], lesions: [(CaseValue, [FieldProvenance])],
        provenance: inout [FieldProvenance]
    ) -> CaseValue {
        var top: [(key: String, value: CaseValue)] = [("id", .string(id))]
        var groups: [String: [(key: String, value: CaseValue)]] = [:]
        var groupOrder: [String] = []
        for field in validator.dictionary.fields {
            guard let (value, prov) = values[field.path], !Self.isItemPath(field.path) else { continue }
            provenance.append(prov)
            let parts = field.path.split(separator: ".").map(String.init)
            if parts.count == 1 {
                top.append((parts[0], value))
            } else {
                if groups[parts[0]] == nil { groupOrder.append(parts[0]) }
                groups[parts[0], default: []].append((parts.dropFirst().joined(separator: "."), value))
            }
        }
        for name in groupOrder { top.append((name, .object(groups[name]!))) }
        top.append(("lesions", .array(lesions.map(\.0))))
        for (_, provs) in lesions { provenance += provs }
        return .object(top)
    }

    /// Whether a dictionary path names a field of list items (`lesions[].diameter_cm`), byte by
    /// byte: `contains("[]")` on a String is Foundation's substring search here, and ran for every
    /// field a record gives, on every hook call (a hundredth of one).
    static func isItemPath(_ path: String) -> Bool {
        var previous: UInt8 = 0
        for byte in path.utf8 {
            if previous == UInt8(ascii: "[") && byte == UInt8(ascii: "]") { return true }
            previous = byte
        }
        return false
    }

    /// The case without the value at a shown path (`labs.inr`, `lesions[1].diameter_cm`).
    private func removing(_ path: String, from value: CaseValue) -> CaseValue {
        var parts = path.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { return value }
        let head = parts.removeFirst()
        var key = head
        var index: Int?
        if let open = head.firstIndex(of: "["), let close = head.firstIndex(of: "]") {
            key = String(head[..<open])
            index = Int(head[head.index(after: open)..<close])
        }
        guard case .object(var pairs) = value, let at = pairs.firstIndex(where: { $0.key == key }) else { return value }
        if let index {
            guard case .array(var items) = pairs[at].value, items.indices.contains(index) else { return value }
            if parts.isEmpty { items.remove(at: index) } else { items[index] = removing(parts.joined(separator: "."), from: items[index]) }
            pairs[at].value = .array(items)
        } else if parts.isEmpty {
            pairs.remove(at: at)
        } else {
            pairs[at].value = removing(parts.joined(separator: "."), from: pairs[at].value)
        }
        return .object(pairs)
    }

    private func sameValue(_ a: CaseValue, _ b: CaseValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        default: return a == b
        }
    }

    private func compact(_ d: Double) -> String { d.compact }

    /// 210.00000000000003 → 210: a unit factor should not invent digits.
    private func roundConverted(_ d: Double) -> Double {
        let scale = 1e9
        return (d * scale).rounded() / scale
    }
}

/// One JSON document as FHIR input, read in one pass: a resource, or the resources of a Bundle
/// (nested Bundles included; an entry that is not an object, or has no object `resource`, is
/// skipped). Anything but an object (`null`, a number) holds no resource.
struct FHIRDocument {
    private var items: [FHIRInputResource] = []

    /// Steps over what cannot be read: a value that is not an object, a Bundle without a list of
    /// entries, an entry that is not an object or has no resource.
    init(json: Any) {
        guard let object = FHIRObject(json) else { return }
        let type = object.members["resourceType"].flatMap { String(fhirJSON: $0) }
        if type == "Bundle" {
            guard let entryList = object.members["entry"], case .array(let entries) = FoundationJSONNode(entryList) else { return }
            for entry in entries {
                guard case .object(let members) = FoundationJSONNode(entry), let resource = members["resource"] else { continue }
                var inner = FHIRDocument(json: resource).items
                if inner.count == 1, let fullUrl = members["fullUrl"].flatMap({ String(fhirJSON: $0) }) { inner[0].fullUrl = fullUrl }
                items += inner
            }
            return
        }
        let decoded = AnyFHIRResource(object: object)
        items = [
            FHIRInputResource(
                resource: decoded.resource, reference: "\(type ?? "?")/\(decoded.id ?? "?")", source: "",
                unreadable: decoded.unreadable)
        ]
    }

    /// Its resources, each named as coming from `source` (a file or a prefetch key).
    func resources(source: String) -> [FHIRInputResource] {
        items.map { item in
            var item = item
            item.source = source
            return item
        }
    }
}
