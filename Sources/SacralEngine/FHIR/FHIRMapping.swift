import Foundation
import LuaKit

/// A `system|code` pair, as the mapping writes codes.
public struct FHIRCode: Sendable, Hashable, CustomStringConvertible {
    public var system: String
    public var code: String

    public init(system: String, code: String) {
        self.system = system
        self.code = code
    }

    /// Parses `system|code`; nil when either half is empty.
    public init?(_ text: String) {
        guard let bar = text.lastIndex(of: "|") else { return nil }
        let system = String(text[..<bar])
        let code = String(text[text.index(after: bar)...])
        guard !system.isEmpty, !code.isEmpty else { return nil }
        self.init(system: system, code: code)
    }

    public var description: String { "\(system)|\(code)" }
}

/// The FHIR R4 mapping of Rules/fhir.lua: where each case field lives in a patient's record, the
/// questionnaire that asks for the rest, and the ServiceRequest codes of the orderable pathways.
///
/// The engine holds no code, unit or window itself: all of it is read from the rules directory,
/// so a hospital edits Rules/fhir.lua without a rebuild. Load it with ``load(from:limits:)``.
public struct FHIRMapping: Sendable {
    /// The file name of the mapping inside a rules directory.
    public static let fileName = "fhir.lua"

    /// One case field and where the record keeps it.
    public struct FieldMap: Sendable {
        /// The resource types the reader understands.
        public enum Resource: String, Sendable, CaseIterable {
            case patient = "Patient"
            case observation = "Observation"
            case condition = "Condition"
            case allergy = "AllergyIntolerance"
            case procedure = "Procedure"
        }

        /// One value of an enumerated field and the codes (or words) that say it.
        public struct Value: Sendable {
            public var value: String
            public var codes: [FHIRCode]
            public var text: [String]
            /// For `Patient.gender`: the FHIR code of this value.
            public var gender: String?
        }

        /// The case field path (`labs.inr`).
        public var field: String
        public var resource: Resource
        /// For Patient: `birthDate` or `gender`.
        public var element: String?
        /// How a value is derived (`age_years`).
        public var derive: String?
        /// A boolean field: codes whose presence means true.
        public var codes: [FHIRCode]
        /// An enumerated field: each value and its codes, sorted by value.
        public var values: [Value]
        /// Words matched case-insensitively when codes are unreliable.
        public var text: [String]
        /// The UCUM unit of the field, and factors from other UCUM units to it.
        public var unit: String?
        public var units: [String: Double]
        /// A number without a unit is taken to be in `unit`.
        public var unitless: Bool
        /// Coded answers of an Observation (`valueCodeableConcept`) and the number each stands for.
        public var answers: [FHIRCode: Double]
        /// Accepted `status` (Observation, Procedure) and `clinicalStatus` (Condition, AllergyIntolerance).
        public var statuses: [String]
        public var clinicalStatuses: [String]
        /// An Observation older than this many days before the evaluation date is not used.
        public var withinDays: Int?
        /// Only resources at one of these body sites count.
        public var bodySite: [FHIRCode]
        /// Also asked in the questionnaire.
        public var ask: Bool
        public var confidence: String?
        public var note: String?
        public var file: String
        public var line: Int

        /// Whether a CodeableConcept (its codings and words) matches a code list and word list.
        func matches(_ concept: FHIRCodeableConcept?, codes: [FHIRCode], text: [String]) -> Bool {
            guard let concept else { return false }
            if concept.hasCode(in: codes) { return true }
            return FHIRMapping.textMatches(concept, text)
        }
    }

    /// A pathway that can be ordered, and the ServiceRequest codes (or words) that name it.
    public struct Order: Sendable {
        public var pathway: String
        public var codes: [FHIRCode]
        public var text: [String]
        public var confidence: String?
        public var note: String?
    }

    /// Whose chart the patient-view card is for (`fhir{}.scope`): a patient whose record holds a
    /// Condition with one of `codes` (not refuted, not entered in error, its clinical status one of
    /// `clinicalStatuses` or none), at one of `bodySite` when it names a body site at all; or an
    /// answer to the questionnaire (the team's own record of the case).
    public struct Scope: Sendable {
        public var codes: [FHIRCode]
        public var bodySite: [FHIRCode]
        public var clinicalStatuses: [String]
        public var note: String?
    }

    /// A FHIR query the mapping reads, as a CDS Hooks prefetch template.
    public struct Query: Sendable {
        /// The prefetch key (`patient`, `labs_inr`, `conditions`, …).
        public var key: String
        public var resourceType: String
        /// The query with the `{{context.patientId}}` token, e.g.
        /// `Observation?patient={{context.patientId}}&code=http://loinc.org|6301-6&_sort=-date`.
        public var template: String
        /// The case fields it feeds.
        public var fields: [String]
    }

    /// `enableWhen` of a questionnaire item.
    public struct EnableWhen: Sendable {
        public var question: String
        public var op: String
        public var answer: JSONValue
    }

    public var version: String
    /// `Patient.identifier.system` that carries the case id.
    public var caseIDSystem: String?
    public var questionnaireURL: String
    public var questionnaireName: String
    public var questionnaireTitle: String
    /// Prefix of the codings of enumerated answers (plus the field path).
    public var answerSystem: String
    public var enableWhen: [String: EnableWhen]
    /// The field maps, in declaration order.
    public var fields: [FieldMap]
    /// The orderable pathways, in declaration order.
    public var orders: [Order]
    /// Whose chart the patient-view card is for; nil (no `scope` declared): every patient's.
    public var scope: Scope?
    public var file: String
    /// Problems found while reading the file that did not stop it from loading (unknown keys …).
    public var declarationProblems: [RuleProblem]

    /// The map of a field path, if the record holds it.
    public func map(for field: String) -> FieldMap? { fields.first { $0.field == field } }

    /// The ServiceRequest codes of each orderable pathway (CDS Hooks order-select / order-sign).
    public var orderCodes: [String: [FHIRCode]] {
        Dictionary(orders.map { ($0.pathway, $0.codes) }, uniquingKeysWith: { a, _ in a })
    }

    /// The pathways a ServiceRequest (or any coded order) names, by code or, failing that, by its words.
    public func pathways(forOrder concept: FHIRCodeableConcept?) -> [String] {
        guard let concept else { return [] }
        let byCode = orders.filter { concept.hasCode(in: $0.codes) }.map(\.pathway)
        if !byCode.isEmpty { return byCode }
        return orders.filter { FHIRMapping.textMatches(concept, $0.text) }.map(\.pathway)
    }

    /// The pathways a ServiceRequest resource names, given as `JSONSerialization` reads it (empty
    /// when it names none or is not a ServiceRequest).
    public func pathways(forOrderJSON object: Any) -> [String] {
        guard let request = FHIRServiceRequest(fhirJSON: object), request.resourceType == "ServiceRequest" else { return [] }
        return pathways(forOrder: request.code)
    }

    /// The FHIR queries the mapping reads, one per resource type (one per field for Observations),
    /// usable as CDS Hooks prefetch templates. Every key is optional for the reader.
    public var queries: [Query] {
        let patient = "{{context.patientId}}"
        var out: [Query] = []
        let patientFields = fields.filter { $0.resource == .patient }.map(\.field)
        out.append(Query(key: "patient", resourceType: "Patient", template: "Patient/\(patient)", fields: patientFields))
        for map in fields where map.resource == .observation {
            let codes = map.codes.map(\.description).joined(separator: ",")
            out.append(
                Query(
                    key: map.field.replacingOccurrences(of: ".", with: "_"), resourceType: "Observation",
                    template: "Observation?patient=\(patient)&code=\(codes)&_sort=-date", fields: [map.field]))
        }
        // Conditions, allergies and procedures are read whole: refuted and entered-in-error ones
        // matter too, and text fallbacks cannot be searched by code.
        for (key, resource) in [("conditions", FieldMap.Resource.condition), ("allergies", .allergy), ("procedures", .procedure)] {
            let mapped = fields.filter { $0.resource == resource }.map(\.field)
            if !mapped.isEmpty || (resource == .condition && scope != nil) {
                out.append(
                    Query(
                        key: key, resourceType: resource.rawValue,
                        template: "\(resource.rawValue)?patient=\(patient)", fields: mapped))
            }
        }
        out.append(
            Query(
                key: "questionnaire_responses", resourceType: "QuestionnaireResponse",
                template: "QuestionnaireResponse?patient=\(patient)&questionnaire=\(questionnaireURL)", fields: []))
        return out
    }

    /// Whether the patient of `resources` is in the scope of the patient-view card (see ``Scope``).
    /// A resource whose subject is another patient than the input's one Patient does not count,
    /// as it is not read either. Every patient is in scope when the mapping declares no scope.
    public func isInScope(_ resources: [FHIRInputResource]) -> Bool {
        guard let scope else { return true }
        let patients = resources.filter { if case .patient = $0.resource { return true } else { return false } }
        for input in resources {
            if patients.count == 1 && !input.isAbout(patients[0]) { continue }
            switch input.resource {
            case .condition(let c):
                guard let code = c.code, code.hasCode(in: scope.codes) else { continue }
                let verification = c.verificationStatus?.anyCode
                if verification == "refuted" || verification == "entered-in-error" { continue }
                if let clinical = c.clinicalStatus?.anyCode, !scope.clinicalStatuses.contains(clinical) { continue }
                if !c.bodySite.isEmpty && !scope.bodySite.isEmpty && !c.bodySite.contains(where: { $0.hasCode(in: scope.bodySite) }) {
                    continue
                }
                return true
            case .questionnaireResponse(let qr):
                if answersQuestionnaire(qr) && (qr.status == "completed" || qr.status == "amended") { return true }
            default:
                continue
            }
        }
        return false
    }

    /// Whether a QuestionnaireResponse answers the mapping's questionnaire (its canonical URL,
    /// version aside), or names none.
    func answersQuestionnaire(_ qr: FHIRQuestionnaireResponse) -> Bool {
        let canonical = qr.questionnaire.map { String($0.split(separator: "|").first ?? "") }
        return canonical == nil || canonical == questionnaireURL
    }

    static func textMatches(_ concept: FHIRCodeableConcept, _ words: [String]) -> Bool {
        guard !words.isEmpty else { return false }
        let texts = ([concept.text] + concept.coding.map(\.display)).compactMap { $0?.lowercased() }
        return words.contains { word in texts.contains { $0.contains(word.lowercased()) } }
    }
}

// MARK: - Loading

extension FHIRMapping {
    /// Reads Rules/fhir.lua of a rule set in its own sandboxed Lua state (same limits as rules).
    /// Returns nil when the rule set has no mapping file; throws with file and line when it does not load.
    public static func load(from ruleSet: RuleSet, limits: EngineLimits = EngineLimits()) throws(RuleSetError) -> FHIRMapping? {
        guard let file = ruleSet.files.first(where: { $0.relativePath == fileName }) else { return nil }
        let described: LuaValue
        do {
            let state = try LuaState(limits: limits.lua)
            let loader = try state.compile(loaderSource, chunkName: LuaState.trustedChunkName)
            let runtime = try state.callKeepingResult(loader, [state.hostTable])
            let chunk = try state.compile(file.text, chunkName: "@" + file.displayPath)
            described = try state.call(runtime, "load", [.value(.string(file.displayPath)), .ref(chunk)])
        } catch {
            throw RuleSetError(problems: [Engine.problem(error.message, file: file.displayPath)])
        }
        if described["ok"].boolValue != true {
            throw RuleSetError(problems: [Engine.problem(described["message"].stringValue ?? "failed to load", file: file.displayPath)])
        }
        return try FHIRMapping(described: described, file: file.displayPath)
    }

    /// The trusted half of the loader: gives the mapping file its three declarations and nothing
    /// else (no string, table or math library: the file is data), under the instruction budget.
    static let loaderSource = #"""
        local host = ...
        local setmetatable, setenv, where, arm, disarm = host.setmetatable, host.setenv, host.where, host.arm, host.disarm
        local pcall, type, tostring, next = pcall, type, tostring, next
        local out = { settings = nil, maps = {}, orders = {} }
        local failure = nil
        local function fail(message)
            if failure then return end
            local src, line = where(3)
            failure = (src or "fhir.lua") .. ":" .. tostring(line or 0) .. ": " .. message
        end
        local function data_only(v, depth)
            if depth > 16 then return false end
            local t = type(v)
            if t == "table" then
                for k, x in next, v do
                    if not data_only(k, depth + 1) or not data_only(x, depth + 1) then return false end
                end
                return true
            end
            return t == "string" or t == "number" or t == "boolean"
        end
        local function declare(kind, list)
            return function(spec)
                if type(spec) ~= "table" then fail(kind .. "{} takes a table") return end
                if not data_only(spec, 0) then fail(kind .. "{} may hold only strings, numbers, booleans and tables") return end
                local src, line = where(2)
                spec.file, spec.line = src, line
                if list then list[#list + 1] = spec
                elseif out.settings then fail("fhir{} declared twice")
                else out.settings = spec end
            end
        end
        local M = {}
        function M.load(path, chunk)
            local env = setmetatable({}, { __index = { fhir = declare("fhir"), map = declare("map", out.maps),
                order = declare("order", out.orders) }, __metatable = false })
            setenv(chunk, env)
            arm()
            local ok, err = pcall(chunk)
            disarm()
            if not ok then return { ok = false, message = tostring(err) } end
            if failure then return { ok = false, message = failure } end
            if not out.settings then return { ok = false, message = path .. ": no fhir{} declaration" } end
            return { ok = true, settings = out.settings, maps = out.maps, orders = out.orders }
        end
        return M
        """#

    init(described: LuaValue, file: String) throws(RuleSetError) {
        var problems: [RuleProblem] = []
        let settings = described["settings"]
        func strings(_ v: LuaValue) -> [String] { (v.tableValue?.array ?? []).compactMap(\.stringValue) }
        func codes(_ v: LuaValue, _ place: (String, Int), _ what: String) -> [FHIRCode] {
            strings(v).compactMap { text in
                if let code = FHIRCode(text) { return code }
                problems.append(RuleProblem(file: place.0, line: place.1, message: "\(what): '\(text)' is not system|code"))
                return nil
            }
        }
        func refuseUnknown(_ spec: LuaValue, _ known: Set<String>, _ what: String, _ place: (String, Int)) {
            for key in spec.tableValue?.sortedKeys ?? [] where !known.contains(key) {
                problems.append(RuleProblem(file: place.0, line: place.1, message: "\(what): unknown key '\(key)'"))
            }
        }
        let settingsPlace = (settings["file"].stringValue ?? file, settings["line"].intValue ?? 0)
        refuseUnknown(
            settings, ["version", "case_id_system", "questionnaire", "defaults", "scope", "file", "line"], "fhir{}", settingsPlace)
        let q = settings["questionnaire"]
        refuseUnknown(q, ["url", "name", "title", "answer_system", "enable_when"], "fhir{}.questionnaire", settingsPlace)
        guard let url = q["url"].stringValue else {
            throw RuleSetError(message: "\(settingsPlace.0):\(settingsPlace.1): fhir{} needs questionnaire.url")
        }
        version = settings["version"].stringValue ?? "0"
        caseIDSystem = settings["case_id_system"].stringValue
        questionnaireURL = url
        questionnaireName = q["name"].stringValue ?? "SacralCase"
        questionnaireTitle = q["title"].stringValue ?? questionnaireName
        answerSystem = q["answer_system"].stringValue ?? url + "#"
        var enable: [String: EnableWhen] = [:]
        for (item, spec) in q["enable_when"].tableValue?.fields ?? [:] {
            refuseUnknown(spec, ["question", "operator", "answer"], "enable_when['\(item)']", settingsPlace)
            guard let question = spec["question"].stringValue, !spec["answer"].isNil else {
                problems.append(
                    RuleProblem(
                        file: settingsPlace.0, line: settingsPlace.1,
                        message: "enable_when['\(item)'] needs question and answer"))
                continue
            }
            enable[item] = EnableWhen(question: question, op: spec["operator"].stringValue ?? "=", answer: JSONValue(spec["answer"]))
        }
        enableWhen = enable
        let defaults = settings["defaults"]
        for key in defaults.tableValue?.sortedKeys ?? [] {
            if FieldMap.Resource(rawValue: key) == nil {
                problems.append(
                    RuleProblem(file: settingsPlace.0, line: settingsPlace.1, message: "defaults: unknown resource type '\(key)'"))
            }
            refuseUnknown(defaults[key], ["status", "clinical_status", "within_days"], "defaults.\(key)", settingsPlace)
        }

        let scopeSpec = settings["scope"]
        if scopeSpec.isNil {
            scope = nil
        } else {
            refuseUnknown(scopeSpec, ["codes", "body_site", "clinical_status", "note"], "fhir{}.scope", settingsPlace)
            let scopeCodes = codes(scopeSpec["codes"], settingsPlace, "fhir{}.scope")
            if scopeCodes.isEmpty {
                problems.append(
                    RuleProblem(
                        file: settingsPlace.0, line: settingsPlace.1,
                        message: "fhir{}.scope needs codes (the Conditions that put a patient in scope)"))
            }
            let statuses = scopeSpec["clinical_status"].isNil ? defaults["Condition"]["clinical_status"] : scopeSpec["clinical_status"]
            scope = Scope(
                codes: scopeCodes, bodySite: codes(scopeSpec["body_site"], settingsPlace, "fhir{}.scope body_site"),
                clinicalStatuses: strings(statuses), note: scopeSpec["note"].stringValue)
        }

        let mapKeys: Set<String> = [
            "element", "derive", "codes", "values", "text", "unit", "units", "unitless", "status",
            "clinical_status", "within_days", "body_site", "ask", "confidence", "note", "answers",
            "resource", "path", "file", "line",
        ]
        var maps: [FieldMap] = []
        for spec in described["maps"].tableValue?.array ?? [] {
            let place = (spec["file"].stringValue ?? file, spec["line"].intValue ?? 0)
            guard let field = spec["path"].stringValue ?? spec.tableValue?.array.first?.stringValue else {
                problems.append(RuleProblem(file: place.0, line: place.1, message: "map{} needs a field path first"))
                continue
            }
            refuseUnknown(spec, mapKeys, "map '\(field)'", place)
            guard let resourceName = spec["resource"].stringValue, let resource = FieldMap.Resource(rawValue: resourceName) else {
                problems.append(
                    RuleProblem(
                        file: place.0, line: place.1,
                        message: "map '\(field)': resource must be one of "
                            + FieldMap.Resource.allCases.map(\.rawValue).joined(separator: ", ")))
                continue
            }
            let fallback = defaults[resource.rawValue]
            func pick(_ key: String) -> LuaValue { spec[key].isNil ? fallback[key] : spec[key] }
            var values: [FieldMap.Value] = []
            for (value, v) in (spec["values"].tableValue?.fields ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let gender = v.stringValue {
                    values.append(FieldMap.Value(value: value, codes: [], text: [], gender: gender))
                } else {
                    refuseUnknown(v, ["codes", "text"], "map '\(field)' value '\(value)'", place)
                    values.append(
                        FieldMap.Value(
                            value: value, codes: codes(v["codes"], place, "map '\(field)' value '\(value)'"),
                            text: strings(v["text"]), gender: nil))
                }
            }
            var units: [String: Double] = [:]
            for (unit, factor) in spec["units"].tableValue?.fields ?? [:] {
                if let f = factor.doubleValue, f > 0 {
                    units[unit] = f
                } else {
                    problems.append(
                        RuleProblem(file: place.0, line: place.1, message: "map '\(field)': units['\(unit)'] must be a positive number"))
                }
            }
            var answers: [FHIRCode: Double] = [:]
            for (text, number) in spec["answers"].tableValue?.fields ?? [:] {
                guard let code = FHIRCode(text), let n = number.doubleValue else {
                    problems.append(
                        RuleProblem(file: place.0, line: place.1, message: "map '\(field)': answers take [\"system|code\"] = number"))
                    continue
                }
                answers[code] = n
            }
            maps.append(
                FieldMap(
                    field: field, resource: resource, element: spec["element"].stringValue, derive: spec["derive"].stringValue,
                    codes: codes(spec["codes"], place, "map '\(field)'"), values: values, text: strings(spec["text"]),
                    unit: spec["unit"].stringValue, units: units, unitless: spec["unitless"].boolValue ?? false, answers: answers,
                    statuses: strings(pick("status")), clinicalStatuses: strings(pick("clinical_status")),
                    withinDays: pick("within_days").intValue, bodySite: codes(spec["body_site"], place, "map '\(field)' body_site"),
                    ask: spec["ask"].boolValue ?? false, confidence: spec["confidence"].stringValue, note: spec["note"].stringValue,
                    file: place.0, line: place.1))
        }
        fields = maps
        var orders: [Order] = []
        for spec in described["orders"].tableValue?.array ?? [] {
            let place = (spec["file"].stringValue ?? file, spec["line"].intValue ?? 0)
            guard let pathway = spec.tableValue?.array.first?.stringValue else {
                problems.append(RuleProblem(file: place.0, line: place.1, message: "order{} needs a pathway id first"))
                continue
            }
            refuseUnknown(spec, ["codes", "text", "confidence", "note", "file", "line"], "order '\(pathway)'", place)
            orders.append(
                Order(
                    pathway: pathway, codes: codes(spec["codes"], place, "order '\(pathway)'"),
                    text: strings(spec["text"]), confidence: spec["confidence"].stringValue, note: spec["note"].stringValue))
        }
        self.orders = orders
        self.file = file
        declarationProblems = problems
    }
}

// MARK: - Checking against the field dictionary

extension FHIRMapping {
    /// What `sacral check` reports about the mapping: unknown keys, fields the dictionary does not
    /// declare, types that do not fit the resource, values outside an enumeration, pathways the
    /// ruleset does not declare, questionnaire conditions on questions that are not asked.
    public func problems(against dictionary: FieldDictionary, pathways: [String]) -> [RuleProblem] {
        var problems = declarationProblems
        var seen = Set<String>()
        for map in fields {
            func problem(_ message: String) {
                problems.append(RuleProblem(file: map.file, line: map.line, message: "map '\(map.field)': \(message)"))
            }
            if !seen.insert(map.field).inserted { problem("mapped twice") }
            guard let field = dictionary[map.field] else {
                problem("the field dictionary declares no such field")
                continue
            }
            if map.field.contains("[]") { problem("a lesion field comes from the questionnaire, not from a resource") }
            let enumeration = field.enumeration?.compactMap(\.stringValue)
            switch map.resource {
            case .patient:
                switch map.element {
                case "birthDate":
                    if map.derive != "age_years" { problem("birthDate needs derive = \"age_years\"") }
                    if field.kind != .integer && field.kind != .number {
                        problem("age_years gives a number; the field is \(field.kind.rawValue)")
                    }
                case "gender":
                    if field.kind != .string { problem("gender gives a string; the field is \(field.kind.rawValue)") }
                    if map.values.isEmpty { problem("gender needs values = { case value = gender code }") }
                default: problem("Patient element must be birthDate or gender")
                }
            case .observation:
                if field.kind != .integer && field.kind != .number {
                    problem("an Observation gives a number; the field is \(field.kind.rawValue)")
                }
                if map.codes.isEmpty { problem("an Observation map needs codes") }
                if !map.units.isEmpty && map.unit == nil { problem("units need the field's own unit") }
                if map.statuses.isEmpty { problem("no accepted status (status = { ... } or defaults)") }
            case .condition, .allergy, .procedure:
                if map.values.isEmpty {
                    if field.kind != .boolean { problem("codes without values give true/false; the field is \(field.kind.rawValue)") }
                    if map.codes.isEmpty && map.text.isEmpty { problem("needs codes or text") }
                } else {
                    if field.kind != .string { problem("values give a string; the field is \(field.kind.rawValue)") }
                    for v in map.values where v.codes.isEmpty && v.text.isEmpty { problem("value '\(v.value)' needs codes or text") }
                }
                if map.resource == .procedure && map.statuses.isEmpty { problem("no accepted status") }
                if map.resource != .procedure && map.clinicalStatuses.isEmpty { problem("no accepted clinical status") }
            }
            if let enumeration {
                for v in map.values where !enumeration.contains(v.value) {
                    problem("value '\(v.value)' is not in the field's enumeration (\(enumeration.joined(separator: ", ")))")
                }
            }
            if let c = map.confidence, c != "confirmed" && c != "unconfirmed" { problem("confidence must be confirmed or unconfirmed") }
        }
        let asked = Set(FHIRQuestionnaire.askedFields(self, dictionary: dictionary).map(\.path))
        for (item, rule) in enableWhen.sorted(by: { $0.key < $1.key }) {
            func problem(_ message: String) {
                problems.append(RuleProblem(file: file, line: 0, message: "enable_when['\(item)']: \(message)"))
            }
            if !asked.contains(item) { problem("'\(item)' is not a question of the questionnaire") }
            if !asked.contains(rule.question) { problem("'\(rule.question)' is not a question of the questionnaire") }
            if !["=", "!=", "exists"].contains(rule.op) { problem("operator must be =, != or exists") }
            if let field = dictionary[rule.question], let enumeration = field.enumeration,
                !enumeration.contains(where: { JSONValue.sameScalar($0, rule.answer) })
            {
                problem("answer \(rule.answer.literal) is not in the enumeration of '\(rule.question)'")
            }
        }
        var ordered = Set<String>()
        for order in orders {
            if !pathways.contains(order.pathway) {
                problems.append(RuleProblem(file: file, line: 0, message: "order '\(order.pathway)': the ruleset declares no such pathway"))
            }
            if !ordered.insert(order.pathway).inserted {
                problems.append(RuleProblem(file: file, line: 0, message: "order '\(order.pathway)' declared twice"))
            }
            if order.codes.isEmpty && order.text.isEmpty {
                problems.append(RuleProblem(file: file, line: 0, message: "order '\(order.pathway)' needs codes or text"))
            }
        }
        return problems
    }

    /// Loads and checks the mapping of a rule set; no problems when there is no mapping file.
    public static func check(
        _ ruleSet: RuleSet, dictionary: FieldDictionary, pathways: [String],
        limits: EngineLimits = EngineLimits()
    ) -> [RuleProblem] {
        do {
            guard let mapping = try load(from: ruleSet, limits: limits) else { return [] }
            return mapping.problems(against: dictionary, pathways: pathways)
        } catch {
            return error.problems
        }
    }
}
