import Foundation

// Lenient, hand-written FHIR R4 models for the few resource types sacral reads. No maintained FHIR
// model package is available here. Every element is optional; unknown elements (extensions,
// narrative, meta …) are ignored; an element of the wrong JSON type is skipped and noted in
// `unreadable`, so that a warning can name the resource and the element instead of losing the
// whole resource. They are read from the tree JSONSerialization gives (FHIRJSON.swift), which the
// callers have already parsed: reading the same bytes again through JSONDecoder and Codable took
// more of a CDS hook call than the parse itself.

/// A coding: system, code, display.
public struct FHIRCoding: FHIRJSONReadable, Sendable, Equatable {
    public var system: String?
    public var code: String?
    public var display: String?

    public init(system: String? = nil, code: String? = nil, display: String? = nil) {
        self.system = system
        self.code = code
        self.display = display
    }

    public init?(fhirJSON value: Any) {
        guard var c = FHIRObject(value) else { return nil }
        system = c.lenient("system")
        code = c.lenient("code")
        display = c.lenient("display")
    }
}

/// A CodeableConcept: codings and a text.
public struct FHIRCodeableConcept: FHIRJSONReadable, Sendable, Equatable {
    public var coding: [FHIRCoding]
    public var text: String?

    public init(coding: [FHIRCoding] = [], text: String? = nil) {
        self.coding = coding
        self.text = text
    }

    public init?(fhirJSON value: Any) {
        guard var c = FHIRObject(value) else { return nil }
        coding = c.lenientList("coding")
        text = c.lenient("text")
    }

    /// The first code of a given system.
    func code(in system: String) -> String? { coding.first { $0.system == system }?.code }
    /// The first code of any system.
    var anyCode: String? { coding.compactMap(\.code).first }
    /// Whether one of its codings is one of `codes` (same system, same code).
    func hasCode(in codes: [FHIRCode]) -> Bool {
        coding.contains { c in codes.contains { $0.system == c.system && $0.code == c.code } }
    }
}

/// A Quantity: value, unit text, UCUM system and code.
public struct FHIRQuantity: FHIRJSONReadable, Sendable, Equatable {
    public var value: Double?
    public var unit: String?
    public var system: String?
    public var code: String?

    public init?(fhirJSON json: Any) {
        guard var c = FHIRObject(json) else { return nil }
        value = c.lenient("value")
        unit = c.lenient("unit")
        system = c.lenient("system")
        code = c.lenient("code")
    }
}

/// A Reference (only the literal reference is read). Strict: a reference that is not text makes
/// the whole element unreadable.
public struct FHIRReference: FHIRJSONReadable, Sendable, Equatable {
    public var reference: String?

    public init?(fhirJSON value: Any) {
        guard let c = FHIRObject(value), let reference: String? = c.strict("reference") else { return nil }
        self.reference = reference
    }
}

/// A Period (only its start is read, as the date of the fact). Strict, as a Reference.
public struct FHIRPeriod: FHIRJSONReadable, Sendable, Equatable {
    public var start: String?
    public var end: String?

    public init?(fhirJSON value: Any) {
        guard let c = FHIRObject(value), let start: String? = c.strict("start"), let end: String? = c.strict("end") else {
            return nil
        }
        self.start = start
        self.end = end
    }
}

/// An identifier: system and value. Strict, as a Reference.
public struct FHIRIdentifier: FHIRJSONReadable, Sendable, Equatable {
    public var system: String?
    public var value: String?

    public init?(fhirJSON json: Any) {
        guard let c = FHIRObject(json), let system: String? = c.strict("system"), let value: String? = c.strict("value") else {
            return nil
        }
        self.system = system
        self.value = value
    }
}

/// One resource of a Bundle or a prefetch, of the types sacral reads.
public enum FHIRResource: Sendable {
    case patient(FHIRPatient)
    case observation(FHIRObservation)
    case condition(FHIRCondition)
    case allergy(FHIRAllergyIntolerance)
    case procedure(FHIRProcedure)
    case questionnaireResponse(FHIRQuestionnaireResponse)
    case serviceRequest(FHIRServiceRequest)
    /// A resource of another type (kept so that a warning can name it when it matters).
    case other(type: String, id: String?)

    /// The patient the resource is about (`subject`, or `patient` for AllergyIntolerance).
    public var patientReference: String? {
        switch self {
        case .observation(let r): return r.subject?.reference
        case .condition(let r): return r.subject?.reference
        case .allergy(let r): return r.patient?.reference
        case .procedure(let r): return r.subject?.reference
        case .questionnaireResponse(let r): return r.subject?.reference
        default: return nil
        }
    }

    /// The resource type.
    public var typeName: String {
        switch self {
        case .patient: return "Patient"
        case .observation: return "Observation"
        case .condition: return "Condition"
        case .allergy: return "AllergyIntolerance"
        case .procedure: return "Procedure"
        case .questionnaireResponse: return "QuestionnaireResponse"
        case .serviceRequest: return "ServiceRequest"
        case .other(let type, _): return type
        }
    }
}

/// Common shape: an id, and elements that were present but unreadable.
public protocol FHIRResourceModel: FHIRJSONReadable, Sendable {
    var id: String? { get }
    var unreadable: [String] { get }
    /// Reads a resource from its JSON object.
    init(object: FHIRObject)
}

extension FHIRResourceModel {
    /// The resource, or nil when the value is not a JSON object.
    public init?(fhirJSON value: Any) {
        guard let object = FHIRObject(value) else { return nil }
        self.init(object: object)
    }
}

/// Patient: the case id (identifier, id), gender and birth date.
public struct FHIRPatient: FHIRResourceModel {
    public var id: String?
    public var identifier: [FHIRIdentifier]
    public var gender: String?
    public var birthDate: String?
    public var unreadable: [String] = []

    public init(object: FHIRObject) {
        var c = object
        id = c.lenient("id")
        identifier = c.lenientList("identifier")
        gender = c.lenient("gender")
        birthDate = c.lenient("birthDate")
        unreadable = c.problems
    }
}

/// Observation: code, status, when, and a numeric (or coded) value.
public struct FHIRObservation: FHIRResourceModel {
    public var id: String?
    public var status: String?
    public var code: FHIRCodeableConcept?
    public var effectiveDateTime: String?
    public var effectiveInstant: String?
    public var effectivePeriod: FHIRPeriod?
    public var issued: String?
    public var valueQuantity: FHIRQuantity?
    public var valueInteger: Int?
    public var valueCodeableConcept: FHIRCodeableConcept?
    /// The value[x] element present, whatever its type (`valueString`, `valueCodeableConcept` …).
    public var valueElement: String?
    public var subject: FHIRReference?
    public var unreadable: [String] = []

    /// The value[x] elements, in the order the first one present is taken.
    static let valueElements = [
        "valueQuantity", "valueInteger", "valueString", "valueCodeableConcept", "valueBoolean", "valueRange",
        "valueRatio", "valueSampledData", "valueTime", "valueDateTime", "valuePeriod",
    ]

    public init(object: FHIRObject) {
        var c = object
        id = c.lenient("id")
        status = c.lenient("status")
        code = c.lenient("code")
        effectiveDateTime = c.lenient("effectiveDateTime")
        effectiveInstant = c.lenient("effectiveInstant")
        effectivePeriod = c.lenient("effectivePeriod")
        issued = c.lenient("issued")
        valueQuantity = c.lenient("valueQuantity")
        valueInteger = c.lenient("valueInteger")
        subject = c.lenient("subject")
        valueCodeableConcept = c.lenient("valueCodeableConcept")
        valueElement = Self.valueElements.first { c.contains($0) }
        unreadable = c.problems
    }

    /// When the fact was true: effective[x], else issued.
    var date: String? { effectiveDateTime ?? effectiveInstant ?? effectivePeriod?.start ?? issued }
}

/// Condition: code, clinical and verification status, body site.
public struct FHIRCondition: FHIRResourceModel {
    public var id: String?
    public var clinicalStatus: FHIRCodeableConcept?
    public var verificationStatus: FHIRCodeableConcept?
    public var code: FHIRCodeableConcept?
    public var bodySite: [FHIRCodeableConcept]
    public var onsetDateTime: String?
    public var recordedDate: String?
    public var subject: FHIRReference?
    public var unreadable: [String] = []

    public init(object: FHIRObject) {
        var c = object
        id = c.lenient("id")
        clinicalStatus = c.lenient("clinicalStatus")
        verificationStatus = c.lenient("verificationStatus")
        code = c.lenient("code")
        bodySite = c.lenientList("bodySite")
        onsetDateTime = c.lenient("onsetDateTime")
        recordedDate = c.lenient("recordedDate")
        subject = c.lenient("subject")
        unreadable = c.problems
    }
}

/// AllergyIntolerance: code or reaction substance, clinical and verification status.
public struct FHIRAllergyIntolerance: FHIRResourceModel {
    /// A reaction (only its substance is read). Strict: a substance that is not a CodeableConcept
    /// makes the reaction unreadable.
    public struct Reaction: FHIRJSONReadable, Sendable {
        public var substance: FHIRCodeableConcept?

        public init?(fhirJSON value: Any) {
            guard let c = FHIRObject(value), let substance: FHIRCodeableConcept? = c.strict("substance") else { return nil }
            self.substance = substance
        }
    }
    public var id: String?
    public var clinicalStatus: FHIRCodeableConcept?
    public var verificationStatus: FHIRCodeableConcept?
    public var code: FHIRCodeableConcept?
    public var reaction: [Reaction]
    public var recordedDate: String?
    public var patient: FHIRReference?
    public var unreadable: [String] = []

    public init(object: FHIRObject) {
        var c = object
        id = c.lenient("id")
        clinicalStatus = c.lenient("clinicalStatus")
        verificationStatus = c.lenient("verificationStatus")
        code = c.lenient("code")
        reaction = c.lenientList("reaction")
        recordedDate = c.lenient("recordedDate")
        patient = c.lenient("patient")
        unreadable = c.problems
    }
}

/// Procedure: code, status, body site, when performed.
public struct FHIRProcedure: FHIRResourceModel {
    public var id: String?
    public var status: String?
    public var code: FHIRCodeableConcept?
    public var bodySite: [FHIRCodeableConcept]
    public var performedDateTime: String?
    public var performedPeriod: FHIRPeriod?
    public var subject: FHIRReference?
    public var unreadable: [String] = []

    public init(object: FHIRObject) {
        var c = object
        id = c.lenient("id")
        status = c.lenient("status")
        code = c.lenient("code")
        bodySite = c.lenientList("bodySite")
        performedDateTime = c.lenient("performedDateTime")
        performedPeriod = c.lenient("performedPeriod")
        subject = c.lenient("subject")
        unreadable = c.problems
    }

    var date: String? { performedDateTime ?? performedPeriod?.start }
}

/// ServiceRequest: a (draft) order, matched to a pathway by its code.
public struct FHIRServiceRequest: FHIRResourceModel {
    public var resourceType: String?
    public var id: String?
    public var status: String?
    public var intent: String?
    public var code: FHIRCodeableConcept?
    public var unreadable: [String] = []

    public init(object: FHIRObject) {
        var c = object
        resourceType = c.lenient("resourceType")
        id = c.lenient("id")
        status = c.lenient("status")
        intent = c.lenient("intent")
        code = c.lenient("code")
        unreadable = c.problems
    }
}

/// QuestionnaireResponse: answers to the generated Questionnaire, linkId = case field path.
public struct FHIRQuestionnaireResponse: FHIRResourceModel {
    /// One item: its linkId, answers and nested items.
    public struct Item: FHIRJSONReadable, Sendable {
        public var linkId: String?
        public var answer: [Answer]
        public var item: [Item]

        public init?(fhirJSON value: Any) {
            guard var c = FHIRObject(value) else { return nil }
            linkId = c.lenient("linkId")
            answer = c.lenientList("answer")
            item = c.lenientList("item")
        }
    }

    /// An answer: one of the value[x] types a case field can take, plus nested items.
    public struct Answer: FHIRJSONReadable, Sendable {
        public var value: CaseValue?
        /// The value[x] element present, for messages.
        public var element: String?
        public var item: [Item]

        public init?(fhirJSON json: Any) {
            guard var c = FHIRObject(json) else { return nil }
            item = c.lenientList("item")
            if let b: Bool = c.lenient("valueBoolean") {
                value = .bool(b)
                element = "valueBoolean"
            } else if let i: Int64 = c.lenient("valueInteger") {
                value = .int(i)
                element = "valueInteger"
            } else if let d: Double = c.lenient("valueDecimal") {
                value = .double(d)
                element = "valueDecimal"
            } else if let s: String = c.lenient("valueString") {
                value = .string(s)
                element = "valueString"
            } else if let coding: FHIRCoding = c.lenient("valueCoding"), let code = coding.code {
                value = .string(code)
                element = "valueCoding"
            } else if let s: String = c.lenient("valueDate") {
                value = .string(s)
                element = "valueDate"
            } else if let s: String = c.lenient("valueDateTime") {
                value = .string(s)
                element = "valueDateTime"
            }
        }
    }

    public var id: String?
    public var status: String?
    public var questionnaire: String?
    public var authored: String?
    public var item: [Item]
    public var subject: FHIRReference?
    public var unreadable: [String] = []

    public init(object: FHIRObject) {
        var c = object
        id = c.lenient("id")
        status = c.lenient("status")
        questionnaire = c.lenient("questionnaire")
        authored = c.lenient("authored")
        item = c.lenientList("item")
        subject = c.lenient("subject")
        unreadable = c.problems
    }
}

/// One resource as read, with the name a warning or a provenance entry gives it.
public struct FHIRInputResource: Sendable {

    public var resource: FHIRResource
    /// `Observation/o-17` (`Observation/?` for a resource without an id).
    public var reference: String
    /// The file or prefetch key it came from.
    public var source: String
    /// Elements present but unreadable.
    public var unreadable: [String]
    /// The Bundle entry's fullUrl (a transaction's `urn:uuid:` references point at it).
    public var fullUrl: String? = nil
}

extension FHIRInputResource {
    /// Whether it is about `patient` (a Patient input) or names no patient: its subject is the
    /// Patient's reference or Bundle fullUrl, or ends with "/" and either (an absolute URL).
    func isAbout(_ patient: FHIRInputResource) -> Bool {
        guard let ref = resource.patientReference else { return true }
        return [patient.reference, patient.fullUrl].contains { name in
            name.map { ref == $0 || ref.hasSuffix("/" + $0) } ?? false
        }
    }
}

/// One resource of any type; an unknown type is `.other`.
struct AnyFHIRResource {
    var resource: FHIRResource
    var id: String?
    var unreadable: [String]

    init(object: FHIRObject) {
        var c = object
        let type: String = c.lenient("resourceType") ?? "?"
        id = c.lenient("id")
        func model<T: FHIRResourceModel>(_ make: (T) -> FHIRResource) -> (FHIRResource, [String]) {
            let m = T(object: object)
            return (make(m), m.unreadable)
        }
        switch type {
        case "Patient": (resource, unreadable) = model(FHIRResource.patient)
        case "Observation": (resource, unreadable) = model(FHIRResource.observation)
        case "Condition": (resource, unreadable) = model(FHIRResource.condition)
        case "AllergyIntolerance": (resource, unreadable) = model(FHIRResource.allergy)
        case "Procedure": (resource, unreadable) = model(FHIRResource.procedure)
        case "QuestionnaireResponse": (resource, unreadable) = model(FHIRResource.questionnaireResponse)
        case "ServiceRequest": (resource, unreadable) = model(FHIRResource.serviceRequest)
        default:
            resource = .other(type: type, id: id)
            unreadable = c.problems
        }
    }
}
