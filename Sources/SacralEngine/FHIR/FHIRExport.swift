import LuaKit

/// Writes a case as a FHIR R4 `collection` Bundle through the mapping: a Patient, Observations,
/// Conditions, an AllergyIntolerance and a Procedure for what the record holds, and a
/// QuestionnaireResponse for the rest (and for every `ask` field). Reading the Bundle back at the
/// same date gives the same case.
public enum FHIRExport {
    /// A FHIR id from any text: [A-Za-z0-9-.], at most 64 characters.
    public static func safeID(_ text: String) -> String {
        let mapped = String(text.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == ".") ? c : "-"
        }.prefix(64))
        return mapped.isEmpty ? "case" : mapped
    }

    /// The Bundle of a validated case at an evaluation date (observations are dated that day, the
    /// birth date gives the case's age on it). Fields the mapping can write nowhere are listed in
    /// `unwritten` (none with the shipped mapping).
    public static func bundle(_ validated: ValidatedCase, mapping: FHIRMapping, dictionary: FieldDictionary,
                              date: FHIRDate) -> (bundle: JSONValue, unwritten: [String]) {
        let patientID = safeID(validated.id)
        let subject: JSONValue = .object([("reference", .string("Patient/\(patientID)"))])
        let day = date.description
        var patient: [(String, JSONValue)] = [("resourceType", .string("Patient")), ("id", .string(patientID))]
        if let system = mapping.caseIDSystem {
            patient.append(("identifier", .array([.object([("system", .string(system)), ("value", .string(validated.id))])])))
        }
        var resources: [JSONValue] = []
        var unwritten: [String] = []
        var answered: [String: LuaValue] = [:]
        let asked = Set(FHIRQuestionnaire.askedFields(mapping, dictionary: dictionary).map(\.path))

        for field in dictionary.fields where !field.path.contains("[]") && field.kind != .object && field.path != "id" && field.path != "expect"
            && !(field.kind == .list && field.itemKind == .object) {
            let value = lookup(validated.data, field.path)
            if value.isNil { continue }
            var written = false
            if let map = mapping.map(for: field.path) {
                let rid = safeID(map.field.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "_", with: "-"))
                switch map.resource {
                case .patient:
                    if map.element == "birthDate", let age = value.intValue {
                        patient.append(("birthDate", .string(FHIRDate.birthDate(age: age, at: date).description)))
                        written = true
                    } else if map.element == "gender", let v = value.stringValue, let g = map.values.first(where: { $0.value == v })?.gender {
                        patient.append(("gender", .string(g)))
                        written = true
                    }
                case .observation:
                    guard let code = map.codes.first, let number = value.doubleValue else { break }
                    var obs: [(String, JSONValue)] = [
                        ("resourceType", .string("Observation")), ("id", .string("obs-" + rid)), ("status", .string("final")),
                        ("code", concept(code, text: nil)), ("subject", subject), ("effectiveDateTime", .string(day)),
                    ]
                    if let unit = map.unit {
                        obs.append(("valueQuantity", .object([("value", json(number)), ("unit", .string(unit)),
                                                              ("system", .string("http://unitsofmeasure.org")), ("code", .string(unit))])))
                    } else if case .integer(let i) = value {
                        obs.append(("valueInteger", .int(i)))
                    } else {
                        obs.append(("valueQuantity", .object([("value", json(number))])))
                    }
                    resources.append(.object(obs))
                    written = true
                case .condition, .allergy, .procedure:
                    var code: FHIRCode?
                    var text: String?
                    if map.values.isEmpty {
                        if value.boolValue == true { code = map.codes.first; text = code == nil ? map.text.first : nil }
                    } else if let v = value.stringValue, let entry = map.values.first(where: { $0.value == v }) {
                        code = entry.codes.first; text = code == nil ? entry.text.first : nil
                    }
                    guard code != nil || text != nil else { break }
                    let codeJSON: JSONValue = code.map { concept($0, text: nil) } ?? .object([("text", .string(text!))])
                    resources.append(codedResource(map, id: rid, code: codeJSON, subject: subject, day: day))
                    written = true
                }
            }
            if asked.contains(field.path) {
                answered[field.path] = value
                written = true
            }
            if !written { unwritten.append(field.path) }
        }
        resources.insert(.object(patient), at: 0)
        resources.append(questionnaireResponse(validated, answered: answered, mapping: mapping, dictionary: dictionary,
                                               subject: subject, date: day))
        let bundle: JSONValue = .object([
            ("resourceType", .string("Bundle")),
            ("id", .string(safeID("sacral-" + validated.id))),
            ("type", .string("collection")),
            ("timestamp", .string(day + "T00:00:00Z")),
            ("entry", .array(resources.map { .object([("resource", $0)]) })),
        ])
        return (bundle, unwritten)
    }

    private static func codedResource(_ map: FHIRMapping.FieldMap, id: String, code: JSONValue, subject: JSONValue, day: String) -> JSONValue {
        switch map.resource {
        case .condition:
            return .object([
                ("resourceType", .string("Condition")), ("id", .string("cond-" + id)),
                ("clinicalStatus", concept(FHIRCode(system: "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                    code: map.clinicalStatuses.first ?? "active"), text: nil)),
                ("verificationStatus", concept(FHIRCode(system: "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                        code: "confirmed"), text: nil)),
                ("code", code), ("subject", subject), ("recordedDate", .string(day)),
            ])
        case .allergy:
            return .object([
                ("resourceType", .string("AllergyIntolerance")), ("id", .string("allergy-" + id)),
                ("clinicalStatus", concept(FHIRCode(system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                                    code: map.clinicalStatuses.first ?? "active"), text: nil)),
                ("verificationStatus", concept(FHIRCode(system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                                                        code: "confirmed"), text: nil)),
                ("code", code), ("patient", subject), ("recordedDate", .string(day)),
            ])
        default:
            var pairs: [(String, JSONValue)] = [
                ("resourceType", .string("Procedure")), ("id", .string("proc-" + id)),
                ("status", .string(map.statuses.first ?? "completed")), ("code", code), ("subject", subject),
            ]
            if let site = map.bodySite.first { pairs.append(("bodySite", .array([concept(site, text: nil)]))) }
            return .object(pairs)
        }
    }

    private static func questionnaireResponse(_ validated: ValidatedCase, answered: [String: LuaValue], mapping: FHIRMapping,
                                              dictionary: FieldDictionary, subject: JSONValue, date: String) -> JSONValue {
        var top: [JSONValue] = []
        var groups: [(String, [JSONValue])] = []
        for field in FHIRQuestionnaire.askedFields(mapping, dictionary: dictionary) where !field.path.contains("[]") {
            guard let value = answered[field.path], let item = answerItem(field, value, mapping) else { continue }
            let parts = field.path.split(separator: ".").map(String.init)
            if parts.count == 1 { top.append(item); continue }
            if let i = groups.firstIndex(where: { $0.0 == parts[0] }) { groups[i].1.append(item) } else { groups.append((parts[0], [item])) }
        }
        for (group, children) in groups {
            top.append(.object([("linkId", .string(group)), ("item", .array(children))]))
        }
        let lesionFields = FHIRQuestionnaire.askedFields(mapping, dictionary: dictionary).filter { $0.path.hasPrefix("lesions[].") }
        for lesion in validated.data["lesions"].tableValue?.array ?? [] {
            let children = lesionFields.compactMap { field -> JSONValue? in
                let key = String(field.path.dropFirst("lesions[].".count))
                return lesion[key].isNil ? nil : answerItem(field, lesion[key], mapping)
            }
            if !children.isEmpty { top.append(.object([("linkId", .string("lesions")), ("item", .array(children))])) }
        }
        return .object([
            ("resourceType", .string("QuestionnaireResponse")), ("id", .string("qr")),
            ("questionnaire", .string(mapping.questionnaireURL + "|" + mapping.version)),
            ("status", .string("completed")), ("subject", subject), ("authored", .string(date + "T00:00:00Z")),
            ("item", .array(top)),
        ])
    }

    private static func answerItem(_ field: FieldDictionary.Field, _ value: LuaValue, _ mapping: FHIRMapping) -> JSONValue? {
        let values: [LuaValue] = field.kind == .list ? value.tableValue?.array ?? [] : [value]
        let answers: [JSONValue] = values.compactMap { v in
            let isEnum = (field.kind == .list ? field.itemEnumeration : field.enumeration) != nil
            if isEnum {
                let (key, json) = FHIRQuestionnaire.answerValue(v, field: field.path, mapping)
                return .object([(key, json)])
            }
            switch v {
            case .boolean(let b): return .object([("valueBoolean", .bool(b))])
            case .integer(let i): return .object([(field.kind == .number ? "valueDecimal" : "valueInteger", .int(i))])
            case .number(let d): return .object([("valueDecimal", .double(d))])
            case .string(let s): return .object([("valueString", .string(s))])
            default: return nil
            }
        }
        guard !answers.isEmpty else { return nil }
        return .object([("linkId", .string(field.path)), ("answer", .array(answers))])
    }

    private static func concept(_ code: FHIRCode, text: String?) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("coding", .array([.object([("system", .string(code.system)), ("code", .string(code.code))])]))]
        if let text { pairs.append(("text", .string(text))) }
        return .object(pairs)
    }

    private static func json(_ d: Double) -> JSONValue {
        d.rounded() == d && abs(d) < 1e15 ? .int(Int64(d)) : .double(d)
    }

    /// The value at a dotted path of the case data.
    static func lookup(_ data: LuaValue, _ path: String) -> LuaValue {
        path.split(separator: ".").reduce(data) { $0[String($1)] }
    }
}
