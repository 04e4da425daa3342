import LuaKit

/// One thing wrong with a case file: where, and what was expected.
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    /// The field path as the file has it: `lesions[1].diameter_cm`.
    public var path: String
    public var message: String

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// A case that passed validation, ready for the rules.
public struct ValidatedCase: Sendable {
    public var id: String
    public var title: String?
    /// Where it came from (a path, or `stdin:LINE`).
    public var file: String
    /// The fields the rules see (unknown keys and `expect` removed), ready for the Lua state.
    var data: LuaValue
    /// The `expect:` block, if any, for `sacral test`.
    public var expect: JSONValue?
    /// Unknown keys and other things the reader should know.
    public var warnings: [String]
}

/// A case file that failed validation.
public struct CaseInvalid: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var issues: [ValidationIssue]

    public var description: String {
        issues.map { "\(file): \($0)" }.joined(separator: "\n")
    }
}

/// Checks a case against the field dictionary and converts it for the rules.
///
/// Every problem in the file is reported (not only the first), each with its field path; nothing
/// of an invalid file is evaluated. `null` means unknown, exactly like an absent field.
public struct CaseValidator: Sendable {
    public let dictionary: FieldDictionary

    public init(dictionary: FieldDictionary) {
        self.dictionary = dictionary
    }

    public func validate(_ value: JSONValue, file: String) throws(CaseInvalid) -> ValidatedCase {
        var issues: [ValidationIssue] = []
        var warnings: [String] = []
        guard case .object = value else {
            throw CaseInvalid(
                file: file,
                issues: [ValidationIssue(path: "", message: "expected an object of case fields at the top level, got \(value.kindName)")])
        }
        let data = convertObject(value, normal: "", shown: "", issues: &issues, warnings: &warnings)
        if !issues.isEmpty { throw CaseInvalid(file: file, issues: issues) }
        guard case .string(let id) = value["id"] ?? .null else {
            throw CaseInvalid(file: file, issues: [ValidationIssue(path: "id", message: "required: a string")])
        }
        var title: String?
        if case .string(let t) = value["title"] ?? .null { title = t }
        return ValidatedCase(id: id, title: title, file: file, data: data, expect: value["expect"], warnings: warnings)
    }

    private func join(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : parent + "." + key }

    private func convertObject(
        _ value: JSONValue, normal: String, shown: String,
        issues: inout [ValidationIssue], warnings: inout [String]
    ) -> LuaValue {
        guard case .object(let pairs) = value else { return .nil }
        var fields: [String: LuaValue] = [:]
        var present = Set<String>()
        for (key, item) in pairs {
            let normalPath = join(normal, key)
            let shownPath = join(shown, key)
            // "labs.inr" beside labs: { inr: … } would name the same field twice, and which value
            // the rules saw would depend on an order nobody wrote down.
            // (Bytes first: walking every key's Characters was a third of validating a case, and a key
            // without those bytes cannot hold those characters.)
            if key.isEmpty
                || (key.utf8.contains { $0 == 0x2E || $0 == 0x5B || $0 == 0x5D }
                    && key.contains(where: { $0 == "." || $0 == "[" || $0 == "]" }))
            {
                issues.append(
                    ValidationIssue(
                        path: shownPath,
                        message:
                            "a key may not be empty or contain '.', '[' or ']' (nest objects instead: labs: { inr: 1.2 }, not \"labs.inr\": 1.2)"
                    ))
                continue
            }
            guard let field = dictionary[normalPath] else {
                warnings.append("unknown key '\(shownPath)' ignored (not in the field dictionary; a typo?)")
                continue
            }
            if case .null = item { continue }  // unknown, like absent
            present.insert(key)
            if field.path == "expect" { continue }  // for `sacral test` only
            let converted = convert(item, field: field, normal: normalPath, shown: shownPath, issues: &issues, warnings: &warnings)
            if !converted.isNil { fields[key] = converted }
        }
        for field in dictionary.required(under: normal) {
            let key = String(field.path.split(separator: ".").last ?? "")
            if !present.contains(key) {
                issues.append(
                    ValidationIssue(
                        path: join(shown, key), message: "required field is missing (expected \(describe(field.kind, field.enumeration)))"))
            }
        }
        return .table(LuaTable(fields: fields))
    }

    private func convert(
        _ value: JSONValue, field: FieldDictionary.Field, normal: String, shown: String,
        issues: inout [ValidationIssue], warnings: inout [String]
    ) -> LuaValue {
        switch field.kind {
        case .object:
            guard case .object = value else {
                issues.append(ValidationIssue(path: shown, message: "expected an object, got \(value.shortDescription)"))
                return .nil
            }
            return convertObject(value, normal: normal, shown: shown, issues: &issues, warnings: &warnings)
        case .list:
            guard case .array(let items) = value else {
                issues.append(
                    ValidationIssue(
                        path: shown,
                        message:
                            "expected a list\(field.itemKind.map { " of " + plural($0, field.itemEnumeration) } ?? ""), got \(value.shortDescription)"
                    ))
                return .nil
            }
            if let minItems = field.minItems, items.count < minItems {
                issues.append(
                    ValidationIssue(
                        path: shown, message: "expected at least \(minItems) item\(minItems == 1 ? "" : "s"), got \(items.count)"))
            }
            if let maxItems = field.maxItems, items.count > maxItems {
                // Refused before the items are looked at: a case of thousands of lesions is an
                // input error, not minutes of rules.
                issues.append(
                    ValidationIssue(
                        path: shown, message: "expected at most \(maxItems) item\(maxItems == 1 ? "" : "s"), got \(items.count)"))
                return .nil
            }
            var out: [LuaValue] = []
            var seen = Set<LuaValue>()
            for (i, item) in items.enumerated() {
                let itemShown = "\(shown)[\(i)]"
                if case .null = item {
                    issues.append(ValidationIssue(path: itemShown, message: "a list item may not be null"))
                    continue
                }
                let converted: LuaValue
                if field.itemKind == .object {
                    guard case .object = item else {
                        issues.append(ValidationIssue(path: itemShown, message: "expected an object, got \(item.shortDescription)"))
                        continue
                    }
                    converted = convertObject(item, normal: normal + "[]", shown: itemShown, issues: &issues, warnings: &warnings)
                } else {
                    guard
                        let scalar = scalar(
                            item, kind: field.itemKind ?? .any, enumeration: field.itemEnumeration,
                            minimum: nil, maximum: nil, multipleOf: nil, shown: itemShown, issues: &issues)
                    else { continue }
                    converted = scalar
                }
                if field.unique && field.itemKind != .object {
                    if seen.contains(converted) {
                        issues.append(
                            ValidationIssue(path: itemShown, message: "repeats \(item.shortDescription); the items must be distinct"))
                    }
                    seen.insert(converted)
                }
                out.append(converted)
            }
            if field.itemKind == .object {
                // Objects in a list are told apart by their id, when they have one.
                var ids: [String: Int] = [:]
                for (i, item) in items.enumerated() {
                    if case .string(let id)? = item["id"] {
                        if let first = ids[id] {
                            issues.append(
                                ValidationIssue(
                                    path: "\(shown)[\(i)].id", message: "repeats the id \"\(id)\" of \(shown)[\(first)]; ids must be unique"
                                ))
                        } else {
                            ids[id] = i
                        }
                    }
                }
            }
            return .list(out)
        case .any:
            return LuaValue(value)
        default:
            return scalar(
                value, kind: field.kind, enumeration: field.enumeration, minimum: field.minimum,
                maximum: field.maximum, multipleOf: field.multipleOf, shown: shown, issues: &issues) ?? .nil
        }
    }

    private func scalar(
        _ value: JSONValue, kind: FieldDictionary.Field.Kind, enumeration: [JSONValue]?,
        minimum: Double?, maximum: Double?, multipleOf: Double?, shown: String,
        issues: inout [ValidationIssue]
    ) -> LuaValue? {
        func fail() -> LuaValue? {
            // Described only for a value that fails: most values pass.
            let expected = describe(kind, enumeration, minimum: minimum, maximum: maximum, multipleOf: multipleOf)
            var hint = ""
            if case .string(let s) = value, kind == .number || kind == .integer, Double(s) != nil {
                hint = " (a number written as a string: remove the quotes)"
            } else if kind == .string, enumeration != nil, value.isNumber {
                hint = " (quote it: \"\(value.shortDescription)\")"
            }
            issues.append(ValidationIssue(path: shown, message: "expected \(expected), got \(value.shortDescription)\(hint)"))
            return nil
        }
        let converted: LuaValue
        var number: Double?
        switch (kind, value) {
        case (.string, .string(let s)): converted = .string(s)
        case (.boolean, .bool(let b)): converted = .boolean(b)
        case (.integer, .int(let i)):
            converted = .integer(i)
            number = Double(i)
        case (.integer, .double(let d)) where d.isFinite && d.rounded() == d && abs(d) < 9e15:
            converted = .integer(Int64(d))
            number = d
        case (.number, .int(let i)):
            converted = .integer(i)
            number = Double(i)
        case (.number, .double(let d)) where d.isFinite:
            converted = .number(d)
            number = d
        case (.any, _): return LuaValue(value)
        default: return fail()
        }
        if let enumeration, !enumeration.contains(where: { JSONValue.sameScalar($0, value) }) { return fail() }
        if let number {
            if let minimum, number < minimum { return fail() }
            if let maximum, number > maximum { return fail() }
            if let multipleOf, multipleOf > 0, (number / multipleOf).rounded() != number / multipleOf { return fail() }
        }
        return converted
    }

    private func plural(_ kind: FieldDictionary.Field.Kind, _ enumeration: [JSONValue]?) -> String {
        if let enumeration { return "values from " + enumeration.map(\.literal).joined(separator: ", ") }
        switch kind {
        case .integer: return "integers"
        case .number: return "numbers"
        case .boolean: return "booleans"
        case .object: return "objects"
        case .list: return "lists"
        case .string: return "strings"
        case .any: return "values"
        }
    }

    private func describe(
        _ kind: FieldDictionary.Field.Kind, _ enumeration: [JSONValue]?, minimum: Double? = nil,
        maximum: Double? = nil, multipleOf: Double? = nil
    ) -> String {
        if let enumeration { return "one of " + enumeration.map(\.literal).joined(separator: ", ") }
        var text: String
        switch kind {
        case .integer: text = "an integer"
        case .number: text = "a number"
        case .boolean: text = "true or false"
        case .object: text = "an object"
        case .list: text = "a list"
        case .string: text = "a string"
        case .any: text = "a value"
        }
        if let minimum, let maximum {
            text += " from \(minimum.compact) to \(maximum.compact)"
        } else if let minimum {
            text += " of at least \(minimum.compact)"
        } else if let maximum {
            text += " of at most \(maximum.compact)"
        }
        if let multipleOf { text += ", a multiple of \(multipleOf.compact)" }
        return text
    }
}

extension Double {
    /// 90 rather than 90.0; 1.5 stays 1.5.
    var compact: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}

extension JSONValue {
    var isNumber: Bool {
        switch self {
        case .int, .double: return true
        default: return false
        }
    }
}

extension JSONValue {
    /// Equality of scalars across integer and float representations (an enumeration of 1, 2, 3
    /// matches 2.0).
    static func sameScalar(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double): return a == b
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        default: return false
        }
    }

    /// How the value is written in a message: "0" for strings, 3 for numbers.
    var literal: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .double(let d): return d.compact
        case .bool(let b): return b ? "true" : "false"
        default: return "?"
        }
    }
}
