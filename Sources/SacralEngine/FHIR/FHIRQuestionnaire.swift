import LuaKit

/// The FHIR R4 Questionnaire generated from the field dictionary: one item per case field the record
/// cannot give (every field the mapping does not map, and mapped fields marked `ask`), `linkId` =
/// the field path, answer types and options from the dictionary, a repeating group per lesion.
public enum FHIRQuestionnaire {
    /// Fields that are never asked: the case id comes from the Patient, `expect` is for tests.
    static let notAsked: Set<String> = ["id", "expect"]

    /// The leaf fields the questionnaire asks, in dictionary order.
    public static func askedFields(_ mapping: FHIRMapping, dictionary: FieldDictionary) -> [FieldDictionary.Field] {
        dictionary.fields.filter { field in
            guard !notAsked.contains(field.path), field.kind != .object, field.kind != .any else { return false }
            if field.kind == .list && field.itemKind == .object { return false }
            guard let map = mapping.map(for: field.path) else { return true }
            return map.ask
        }
    }

    /// The Questionnaire resource.
    public static func make(_ mapping: FHIRMapping, dictionary: FieldDictionary) -> JSONValue {
        let asked = askedFields(mapping, dictionary: dictionary)
        var items: [JSONValue] = []
        var groups: [(String, [JSONValue])] = []
        func add(_ item: JSONValue, group: String?) {
            guard let group else { items.append(item); return }
            if let i = groups.firstIndex(where: { $0.0 == group }) { groups[i].1.append(item) } else { groups.append((group, [item])) }
        }
        for field in asked {
            let parts = field.path.split(separator: ".").map(String.init)
            add(item(field, mapping), group: parts.count > 1 ? parts[0] : nil)
        }
        for (group, children) in groups {
            let container = dictionary[group] ?? dictionary[group.replacingOccurrences(of: "[]", with: "")]
            var pairs: [(String, JSONValue)] = [("linkId", .string(group.replacingOccurrences(of: "[]", with: "")))]
            pairs.append(("text", .string(container?.doc ?? group.replacingOccurrences(of: "[]", with: ""))))
            pairs.append(("type", .string("group")))
            if group.hasSuffix("[]") {
                if container?.required == true { pairs.append(("required", .bool(true))) }
                pairs.append(("repeats", .bool(true)))
            }
            pairs.append(("item", .array(children)))
            items.append(.object(pairs))
        }
        return .object([
            ("resourceType", .string("Questionnaire")),
            ("id", .string(FHIRExport.safeID(mapping.questionnaireName))),
            ("url", .string(mapping.questionnaireURL)),
            ("version", .string(mapping.version)),
            ("name", .string(mapping.questionnaireName)),
            ("title", .string(mapping.questionnaireTitle)),
            ("status", .string("active")),
            ("subjectType", .array([.string("Patient")])),
            ("item", .array(items)),
        ])
    }

    /// The FHIR item type of a field (of its items, for lists).
    static func itemType(_ field: FieldDictionary.Field) -> String {
        let kind = field.kind == .list ? field.itemKind ?? .string : field.kind
        let enumeration = field.kind == .list ? field.itemEnumeration : field.enumeration
        if enumeration != nil { return "choice" }
        switch kind {
        case .boolean: return "boolean"
        case .integer: return "integer"
        case .number: return "decimal"
        default: return "string"
        }
    }

    /// The answer of an enumerated value: a coding for strings, an integer for numbers.
    static func answerValue(_ value: LuaValue, field path: String, _ mapping: FHIRMapping) -> (String, JSONValue) {
        switch value {
        case .integer(let i): return ("valueInteger", .int(i))
        case .number(let d): return ("valueInteger", .int(Int64(d)))
        default:
            let code = value.stringValue ?? value.literal
            return ("valueCoding", .object([("system", .string(mapping.answerSystem + path)), ("code", .string(code)),
                                             ("display", .string(code))]))
        }
    }

    private static func item(_ field: FieldDictionary.Field, _ mapping: FHIRMapping) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("linkId", .string(field.path))]
        let name = field.path.split(separator: ".").last.map(String.init) ?? field.path
        var text = field.doc.map { "\(name): \($0)" } ?? name
        if let unit = field.unit { text += " (\(unit))" }
        pairs.append(("text", .string(text)))
        pairs.append(("type", .string(itemType(field))))
        if let rule = mapping.enableWhen[field.path] {
            var condition: [(String, JSONValue)] = [("question", .string(rule.question))]
            if rule.op == "exists" {
                condition += [("operator", .string("exists")), ("answerBoolean", .bool(rule.answer.boolValue ?? true))]
            } else {
                condition.append(("operator", .string(rule.op)))
                let (key, value) = answerValue(rule.answer, field: rule.question, mapping)
                condition.append((key.replacingOccurrences(of: "value", with: "answer"), value))
            }
            pairs.append(("enableWhen", .array([.object(condition)])))
        }
        if field.required { pairs.append(("required", .bool(true))) }
        if field.kind == .list { pairs.append(("repeats", .bool(true))) }
        if let enumeration = field.kind == .list ? field.itemEnumeration : field.enumeration {
            pairs.append(("answerOption", .array(enumeration.map { v in
                let (key, value) = answerValue(v, field: field.path, mapping)
                return .object([(key, value)])
            })))
        }
        return .object(pairs)
    }
}
