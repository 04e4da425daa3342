import Foundation

// Lenient, hand-written FHIR R4 models for the few resource types sacral reads. No maintained FHIR
// model package is available here. Every element is optional; unknown elements (extensions,
// narrative, meta …) are ignored; an element of the wrong JSON type is skipped and noted in
// `unreadable`, so that a warning can name the resource and the element instead of losing the
// whole resource.

/// A coding: system, code, display.
public struct FHIRCoding: Decodable, Sendable, Equatable {
    public var system: String?
    public var code: String?
    public var display: String?

    enum K: String, CodingKey { case system, code, display }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        var ignored: [String] = []
        system = c.lenient(.system, &ignored)
        code = c.lenient(.code, &ignored)
        display = c.lenient(.display, &ignored)
    }
}

/// A CodeableConcept: codings and a text.
public struct FHIRCodeableConcept: Decodable, Sendable, Equatable {
    public var coding: [FHIRCoding]
    public var text: String?

    public init(coding: [FHIRCoding] = [], text: String? = nil) {
        self.coding = coding
        self.text = text
    }

    enum K: String, CodingKey { case coding, text }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        var ignored: [String] = []
        coding = c.lenientList(.coding, &ignored)
        text = c.lenient(.text, &ignored)
    }

    /// The first code of a given system.
    func code(in system: String) -> String? { coding.first { $0.system == system }?.code }
    /// The first code of any system.
    var anyCode: String? { coding.compactMap(\.code).first }
}

/// A Quantity: value, unit text, UCUM system and code.
public struct FHIRQuantity: Decodable, Sendable, Equatable {
    public var value: Double?
    public var unit: String?
    public var system: String?
    public var code: String?

    enum K: String, CodingKey { case value, unit, system, code }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        var ignored: [String] = []
        value = c.lenient(.value, &ignored)
        unit = c.lenient(.unit, &ignored)
        system = c.lenient(.system, &ignored)
        code = c.lenient(.code, &ignored)
    }
}

/// A Reference (only the literal reference is read).
public struct FHIRReference: Decodable, Sendable, Equatable {
    public var reference: String?
}

/// A Period (only its start is read, as the date of the fact).
public struct FHIRPeriod: Decodable, Sendable, Equatable {
    public var start: String?
    public var end: String?
}

/// An identifier: system and value.
public struct FHIRIdentifier: Decodable, Sendable, Equatable {
    public var system: String?
    public var value: String?
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
public protocol FHIRResourceModel: Decodable, Sendable {
    var id: String? { get }
    var unreadable: [String] { get }
}

public struct FHIRPatient: FHIRResourceModel {
    public var id: String?
    public var identifier: [FHIRIdentifier]
    public var gender: String?
    public var birthDate: String?
    public var unreadable: [String] = []

    enum K: String, CodingKey { case id, identifier, gender, birthDate }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        id = c.lenient(.id, &unreadable)
        identifier = c.lenientList(.identifier, &unreadable)
        gender = c.lenient(.gender, &unreadable)
        birthDate = c.lenient(.birthDate, &unreadable)
    }
}

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

    enum K: String, CodingKey {
        case subject
        case id, status, code, effectiveDateTime, effectiveInstant, effectivePeriod, issued, valueQuantity, valueInteger
        case valueString, valueCodeableConcept, valueBoolean, valueRange, valueRatio, valueSampledData, valueTime
        case valueDateTime, valuePeriod
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        id = c.lenient(.id, &unreadable)
        status = c.lenient(.status, &unreadable)
        code = c.lenient(.code, &unreadable)
        effectiveDateTime = c.lenient(.effectiveDateTime, &unreadable)
        effectiveInstant = c.lenient(.effectiveInstant, &unreadable)
        effectivePeriod = c.lenient(.effectivePeriod, &unreadable)
        issued = c.lenient(.issued, &unreadable)
        valueQuantity = c.lenient(.valueQuantity, &unreadable)
        valueInteger = c.lenient(.valueInteger, &unreadable)
        subject = c.lenient(.subject, &unreadable)
        valueCodeableConcept = c.lenient(.valueCodeableConcept, &unreadable)
        valueElement = [K.valueQuantity, .valueInteger, .valueString, .valueCodeableConcept, .valueBoolean, .valueRange,
                        .valueRatio, .valueSampledData, .valueTime, .valueDateTime, .valuePeriod]
            .first { c.contains($0) }?.stringValue
    }

    /// When the fact was true: effective[x], else issued.
    var date: String? { effectiveDateTime ?? effectiveInstant ?? effectivePeriod?.start ?? issued }
}

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

    enum K: String, CodingKey { case id, clinicalStatus, verificationStatus, code, bodySite, onsetDateTime, recordedDate, subject }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        id = c.lenient(.id, &unreadable)
        clinicalStatus = c.lenient(.clinicalStatus, &unreadable)
        verificationStatus = c.lenient(.verificationStatus, &unreadable)
        code = c.lenient(.code, &unreadable)
        bodySite = c.lenientList(.bodySite, &unreadable)
        onsetDateTime = c.lenient(.onsetDateTime, &unreadable)
        recordedDate = c.lenient(.recordedDate, &unreadable)
        subject = c.lenient(.subject, &unreadable)
    }
}

public struct FHIRAllergyIntolerance: FHIRResourceModel {
    public struct Reaction: Decodable, Sendable {
        public var substance: FHIRCodeableConcept?
    }
    public var id: String?
    public var clinicalStatus: FHIRCodeableConcept?
    public var verificationStatus: FHIRCodeableConcept?
    public var code: FHIRCodeableConcept?
    public var reaction: [Reaction]
    public var recordedDate: String?
    public var patient: FHIRReference?
    public var unreadable: [String] = []

    enum K: String, CodingKey { case id, clinicalStatus, verificationStatus, code, reaction, recordedDate, patient }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        id = c.lenient(.id, &unreadable)
        clinicalStatus = c.lenient(.clinicalStatus, &unreadable)
        verificationStatus = c.lenient(.verificationStatus, &unreadable)
        code = c.lenient(.code, &unreadable)
        reaction = c.lenientList(.reaction, &unreadable)
        recordedDate = c.lenient(.recordedDate, &unreadable)
        patient = c.lenient(.patient, &unreadable)
    }
}

public struct FHIRProcedure: FHIRResourceModel {
    public var id: String?
    public var status: String?
    public var code: FHIRCodeableConcept?
    public var bodySite: [FHIRCodeableConcept]
    public var performedDateTime: String?
    public var performedPeriod: FHIRPeriod?
    public var subject: FHIRReference?
    public var unreadable: [String] = []

    enum K: String, CodingKey { case id, status, code, bodySite, performedDateTime, performedPeriod, subject }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        id = c.lenient(.id, &unreadable)
        status = c.lenient(.status, &unreadable)
        code = c.lenient(.code, &unreadable)
        bodySite = c.lenientList(.bodySite, &unreadable)
        performedDateTime = c.lenient(.performedDateTime, &unreadable)
        performedPeriod = c.lenient(.performedPeriod, &unreadable)
        subject = c.lenient(.subject, &unreadable)
    }

    var date: String? { performedDateTime ?? performedPeriod?.start }
}

public struct FHIRServiceRequest: FHIRResourceModel {
    public var resourceType: String?
    public var id: String?
    public var status: String?
    public var intent: String?
    public var code: FHIRCodeableConcept?
    public var unreadable: [String] = []

    enum K: String, CodingKey { case resourceType, id, status, intent, code }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        resourceType = c.lenient(.resourceType, &unreadable)
        id = c.lenient(.id, &unreadable)
        status = c.lenient(.status, &unreadable)
        intent = c.lenient(.intent, &unreadable)
        code = c.lenient(.code, &unreadable)
    }
}

public struct FHIRQuestionnaireResponse: FHIRResourceModel {
    /// One item: its linkId, answers and nested items.
    public struct Item: Decodable, Sendable {
        public var linkId: String?
        public var answer: [Answer]
        public var item: [Item]

        enum K: String, CodingKey { case linkId, answer, item }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: K.self)
            var ignored: [String] = []
            linkId = c.lenient(.linkId, &ignored)
            answer = c.lenientList(.answer, &ignored)
            item = c.lenientList(.item, &ignored)
        }
    }

    /// An answer: one of the value[x] types a case field can take, plus nested items.
    public struct Answer: Decodable, Sendable {
        public var value: CaseValue?
        /// The value[x] element present, for messages.
        public var element: String?
        public var item: [Item]

        enum K: String, CodingKey {
            case valueBoolean, valueInteger, valueDecimal, valueString, valueCoding, valueDate, valueDateTime, item
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: K.self)
            var ignored: [String] = []
            item = c.lenientList(.item, &ignored)
            if let b: Bool = c.lenient(.valueBoolean, &ignored) { value = .bool(b); element = "valueBoolean" }
            else if let i: Int = c.lenient(.valueInteger, &ignored) { value = .int(i); element = "valueInteger" }
            else if let d: Double = c.lenient(.valueDecimal, &ignored) { value = .double(d); element = "valueDecimal" }
            else if let s: String = c.lenient(.valueString, &ignored) { value = .string(s); element = "valueString" }
            else if let coding: FHIRCoding = c.lenient(.valueCoding, &ignored), let code = coding.code {
                value = .string(code); element = "valueCoding"
            }
            else if let s: String = c.lenient(.valueDate, &ignored) { value = .string(s); element = "valueDate" }
            else if let s: String = c.lenient(.valueDateTime, &ignored) { value = .string(s); element = "valueDateTime" }
        }
    }

    public var id: String?
    public var status: String?
    public var questionnaire: String?
    public var authored: String?
    public var item: [Item]
    public var subject: FHIRReference?
    public var unreadable: [String] = []

    enum K: String, CodingKey { case id, status, questionnaire, authored, item, subject }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        id = c.lenient(.id, &unreadable)
        status = c.lenient(.status, &unreadable)
        questionnaire = c.lenient(.questionnaire, &unreadable)
        authored = c.lenient(.authored, &unreadable)
        item = c.lenientList(.item, &unreadable)
        subject = c.lenient(.subject, &unreadable)
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

/// Decodes one resource of any type; never throws (an unreadable resource is `.other`).
struct AnyFHIRResource: Decodable {
    var resource: FHIRResource
    var id: String?
    var unreadable: [String]

    enum K: String, CodingKey { case resourceType, id }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        var problems: [String] = []
        let type: String = c.lenient(.resourceType, &problems) ?? "?"
        id = c.lenient(.id, &problems)
        func model<T: FHIRResourceModel>(_ t: T.Type) throws -> T { try T(from: decoder) }
        switch type {
        case "Patient": let m = try model(FHIRPatient.self); resource = .patient(m); unreadable = m.unreadable
        case "Observation": let m = try model(FHIRObservation.self); resource = .observation(m); unreadable = m.unreadable
        case "Condition": let m = try model(FHIRCondition.self); resource = .condition(m); unreadable = m.unreadable
        case "AllergyIntolerance": let m = try model(FHIRAllergyIntolerance.self); resource = .allergy(m); unreadable = m.unreadable
        case "Procedure": let m = try model(FHIRProcedure.self); resource = .procedure(m); unreadable = m.unreadable
        case "QuestionnaireResponse":
            let m = try model(FHIRQuestionnaireResponse.self); resource = .questionnaireResponse(m); unreadable = m.unreadable
        case "ServiceRequest": let m = try model(FHIRServiceRequest.self); resource = .serviceRequest(m); unreadable = m.unreadable
        default: resource = .other(type: type, id: id); unreadable = problems
        }
    }
}

extension KeyedDecodingContainer {
    /// The element when present and of the right type; nil when absent or null; noted in
    /// `problems` when present with the wrong type.
    func lenient<T: Decodable>(_ key: Key, _ problems: inout [String]) -> T? {
        guard contains(key), (try? decodeNil(forKey: key)) != true else { return nil }
        do { return try decode(T.self, forKey: key) } catch {
            problems.append(key.stringValue)
            return nil
        }
    }

    /// A list element: the readable items of a list (a single object is taken as a list of one).
    func lenientList<T: Decodable>(_ key: Key, _ problems: inout [String]) -> [T] {
        guard contains(key), (try? decodeNil(forKey: key)) != true else { return [] }
        if let items = try? decode([Lenient<T>].self, forKey: key) {
            if items.contains(where: { $0.value == nil }) { problems.append(key.stringValue) }
            return items.compactMap(\.value)
        }
        problems.append(key.stringValue)
        return []
    }
}

/// An item of a list that may fail to decode without failing the list.
struct Lenient<T: Decodable>: Decodable {
    var value: T?
    init(from decoder: Decoder) throws { value = try? T(from: decoder) }
}
