import Foundation
import LuaKit
import Testing

@testable import SacralEngine

/// FHIR R4 in and out through Rules/fhir.lua: the corpus round trip, selection among several
/// resources, warnings that name the resource and the field, the mapping edited without a rebuild.
@Suite struct FHIRTests {
    static let day = FHIRDate(year: 2026, month: 12, day: 1)

    let engine: Engine
    let mapping: FHIRMapping

    init() throws {
        engine = try makeEngine()
        mapping = try #require(try engine.fhirMapping())
    }

    @Test func aListItemPathIsToldByItsBracketsAsContainsWould() {
        for field in engine.dictionary.fields {
            #expect(FHIRReader.isItemPath(field.path) == field.path.contains("[]"), "\(field.path)")
        }
        #expect(FHIRReader.isItemPath("lesions[].diameter_cm") && FHIRReader.isItemPath("[]"))
        for path in ["labs.inr", "a[b]", "a[", "]", ""] { #expect(!FHIRReader.isItemPath(path), "\(path)") }
    }

    // MARK: - Helpers

    /// The exported Bundle of a case as a mutable JSON dictionary.
    func bundle(of validated: ValidatedCase) throws -> [String: Any] {
        let (bundle, unwritten) = FHIRExport.bundle(validated, mapping: mapping, dictionary: engine.dictionary, date: Self.day)
        #expect(unwritten.isEmpty)
        return try #require(JSONSerialization.jsonObject(with: Data(bundle.serialized().utf8)) as? [String: Any])
    }

    /// The base test case as a Bundle, without the resources whose id starts with one of `dropping`,
    /// plus `adding`.
    func baseBundle(_ overrides: [String: String] = [:], dropping: [String] = [], adding: [[String: Any]] = []) throws -> Data {
        let validated = try engine.load(path: try temporaryFile(caseYAML(overrides)))
        var b = try bundle(of: validated)
        var entries = b["entry"] as! [[String: Any]]
        entries.removeAll { e in
            let id = (e["resource"] as? [String: Any])?["id"] as? String ?? ""
            return dropping.contains { id.hasPrefix($0) }
        }
        entries += adding.map { ["resource": $0] }
        b["entry"] = entries
        return try JSONSerialization.data(withJSONObject: b)
    }

    func read(_ data: Data, mapping: FHIRMapping? = nil, engine: Engine? = nil) throws -> FHIRCase {
        let engine = engine ?? self.engine
        let reader = FHIRReader(mapping: mapping ?? self.mapping, validator: engine.validator)
        let (resources, _) = try FHIRReader.resources(ofBundle: data, file: "test.json")
        return try reader.read(resources, evaluationDate: Self.day, fallbackID: "x", file: "test.json")
    }

    static func observation(
        _ id: String, code: String, status: String = "final", date: String = "2026-11-20",
        value: Any? = nil, unit: String? = nil
    ) -> [String: Any] {
        var o: [String: Any] = [
            "resourceType": "Observation", "id": id, "status": status,
            "code": ["coding": [["system": "http://loinc.org", "code": code]]],
            "subject": ["reference": "Patient/test-case"], "effectiveDateTime": date,
        ]
        if let value {
            var q: [String: Any] = ["value": value]
            if let unit {
                q["unit"] = unit
                q["system"] = "http://unitsofmeasure.org"
                q["code"] = unit
            }
            o["valueQuantity"] = q
        }
        return o
    }

    static func condition(
        _ id: String, system: String = "http://snomed.info/sct", code: String,
        clinical: String = "active", verification: String = "confirmed"
    ) -> [String: Any] {
        [
            "resourceType": "Condition", "id": id,
            "clinicalStatus": ["coding": [["system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": clinical]]],
            "verificationStatus": [
                "coding": [["system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification]]
            ],
            "code": ["coding": [["system": system, "code": code]]], "subject": ["reference": "Patient/test-case"],
        ]
    }

    func value(_ c: FHIRCase, _ path: String) -> LuaValue { FHIRExport.lookup(c.validated.data, path) }
    func provenance(_ c: FHIRCase, _ path: String) -> FieldProvenance? { c.provenance.first { $0.field == path } }

    /// Deep equality of case data, 8 and 8.0 being the same number.
    static func same(_ a: LuaValue, _ b: LuaValue) -> Bool {
        switch (a, b) {
        case (.table(let x), .table(let y)):
            return x.array.count == y.array.count && zip(x.array, y.array).allSatisfy { same($0, $1) }
                && Set(x.fields.keys) == Set(y.fields.keys) && x.fields.allSatisfy { same($0.value, y.fields[$0.key]!) }
        default: return JSONValue.sameScalar(JSONValue(a), JSONValue(b))
        }
    }

    // MARK: - Round trip over the corpus

    /// Every corpus case file, the case, and its Bundle as exported.
    func corpusBundles() throws -> [(file: String, original: ValidatedCase, bundle: JSONValue, unwritten: [String])] {
        let files = CaseFiles.collect([repositoryRoot + "/Cases"]).files
        #expect(files.count > 100)
        return try files.map { file in
            let original = try engine.load(path: file)
            let (bundle, unwritten) = FHIRExport.bundle(original, mapping: mapping, dictionary: engine.dictionary, date: Self.day)
            return (file, original, bundle, unwritten)
        }
    }

    /// Elements are read by JSONDecoder's rules (which read these models before): an integer from a
    /// number with no fraction, never from a Boolean or a string; a decimal from any number; an
    /// element of the wrong type is noted by name, in reading order, and the rest of the resource
    /// is kept; a Reference with a non-text reference is unreadable whole.
    @Test func elementsOfTheWrongTypeAreNotedAndTheRestIsRead() throws {
        func observation(_ members: String) throws -> FHIRObservation {
            let object = try JSONSerialization.jsonObject(with: Data(#"{"resourceType":"Observation",\#(members)}"#.utf8))
            return try #require(FHIRObservation(fhirJSON: object))
        }
        #expect(try observation(#""valueInteger":5"#).valueInteger == 5)
        #expect(try observation(#""valueInteger":5.0"#).valueInteger == 5)
        #expect(try observation(#""valueInteger":1e2"#).valueInteger == 100)
        for bad in ["5.5", "true", #""5""#, "1e30", "12345678901234567890", "{}", "[5]"] {
            let o = try observation(#""valueInteger":\#(bad)"#)
            #expect(o.valueInteger == nil && o.unreadable == ["valueInteger"], "\(bad)")
            #expect(o.valueElement == "valueInteger", "\(bad)")
        }
        #expect(try observation(#""valueInteger":null"#).unreadable.isEmpty)
        #expect(try observation(#""valueQuantity":{"value":7}"#).valueQuantity?.value == 7)
        let quantity = try observation(#""valueQuantity":{"value":true,"unit":"mg"}"#).valueQuantity
        #expect(quantity?.value == nil && quantity?.unit == "mg")
        let o = try observation(
            #""id":7,"status":"final","code":{"coding":[{"code":"a"},3,{"code":"b"}]},"subject":{"reference":5},"issued":"2026-01-02""#)
        #expect(o.id == nil && o.status == "final" && o.subject == nil && o.issued == "2026-01-02")
        #expect(o.code?.coding.compactMap(\.code) == ["a", "b"])
        #expect(o.unreadable == ["id", "subject"])
        let condition = try #require(
            FHIRCondition(fhirJSON: try JSONSerialization.jsonObject(with: Data(#"{"bodySite":{"text":"sacrum"},"code":[]}"#.utf8))))
        #expect(condition.bodySite.isEmpty && condition.code == nil && condition.unreadable == ["code", "bodySite"])
        #expect(FHIRObservation(fhirJSON: "Observation") == nil)
    }

    @Test func everyShippedCaseSurvivesTheRoundTripThroughABundle() throws {
        let reader = engine.fhirReader(mapping)
        for (file, original, bundle, unwritten) in try corpusBundles() {
            #expect(unwritten.isEmpty, "\(file): \(unwritten)")
            let (resources, timestamp) = try FHIRReader.resources(ofBundle: Data(bundle.serialized().utf8), file: file)
            #expect(timestamp == "2026-12-01T00:00:00Z")
            let back = try reader.read(resources, evaluationDate: Self.day, fallbackID: "?", file: file)
            #expect(back.validated.id == original.id, "\(file)")
            #expect(back.validated.title == original.title, "\(file)")
            #expect(back.warnings.isEmpty, "\(file): \(back.warnings)")
            #expect(Self.same(back.validated.data, original.data), "\(file): the case changed on the way through FHIR")
            let before = engine.evaluate(original)
            let after = engine.evaluate(back)
            for pathway in before.pathwayIDs {
                #expect(after.decision.status(of: pathway) == before.status(of: pathway), "\(file): \(pathway)")
            }
            // Every input a reason read has a provenance.
            let named = Set(after.provenance.map(\.field))
            for (_, p) in after.decision.document["pathways"]?.objectValue ?? [] {
                for reason in p["reasons"]?.arrayValue ?? [] {
                    for (input, _) in reason["inputs"]?.objectValue ?? [] where engine.dictionary[RuleChecker.normalise(input)] != nil {
                        #expect(named.contains(input), "\(file): input \(input) has no provenance")
                    }
                }
            }
        }
    }

    @Test func reasonsInputsNameTheResourceAndDateTheyCameFrom() throws {
        let data = try baseBundle(
            dropping: ["obs-labs-inr"],
            adding: [Self.observation("o-17", code: "6301-6", date: "2026-11-20", value: 1.8, unit: "{INR}")])
        let result = engine.evaluate(try read(data))
        let inr = try #require(result.provenance.first { $0.field == "labs.inr" })
        #expect(inr.reference == "Observation/o-17")
        #expect(inr.date == "2026-11-20")
        #expect(inr.summary.contains("Observation/o-17 (2026-11-20"))
        let doc = result.document
        #expect(doc["provenance"]?["labs.inr"]?["resource"]?.stringValue == "Observation/o-17")
        #expect(doc["provenance"]?["labs.inr"]?["date"]?.stringValue == "2026-11-20")
        // The keys before provenance are the decision's own, unchanged.
        #expect(doc.objectValue?.dropLast().map(\.0) == result.decision.document.objectValue?.map(\.0))
        #expect(result.provenanceText().contains("labs.inr (read by reasons) ← Observation/o-17 (2026-11-20"))
    }

    @Test func ageIsDerivedFromTheBirthDateAtTheEvaluationDate() throws {
        let validated = try engine.load(path: try temporaryFile(caseYAML()))
        var b = try bundle(of: validated)
        var entries = b["entry"] as! [[String: Any]]
        var patient = entries[0]["resource"] as! [String: Any]
        patient["birthDate"] = "1958-12-02"
        entries[0]["resource"] = patient
        b["entry"] = entries
        let c = try read(try JSONSerialization.data(withJSONObject: b))
        #expect(value(c, "patient.age") == .integer(67))  // the 68th birthday is the day after
        #expect(provenance(c, "patient.age")?.original == "1958-12-02")
    }

    // MARK: - Choosing among several Observations

    @Test func theMostRecentFinalOrAmendedObservationIsChosen() throws {
        let data = try baseBundle(
            dropping: ["obs-labs-inr"],
            adding: [
                Self.observation("old", code: "6301-6", date: "2026-11-10", value: 2.4, unit: "{INR}"),
                Self.observation("new", code: "34714-6", status: "amended", date: "2026-11-25T08:00:00Z", value: 1.2, unit: "{INR}"),
                Self.observation("prelim", code: "6301-6", status: "preliminary", date: "2026-11-30", value: 3.0, unit: "{INR}"),
            ])
        let c = try read(data)
        #expect(value(c, "labs.inr") == .number(1.2))
        #expect(provenance(c, "labs.inr")?.reference == "Observation/new")
        #expect(c.warnings.contains { $0.contains("Observation/prelim") && $0.contains("preliminary") && $0.contains("labs.inr") })
    }

    @Test func enteredInErrorObservationsAreIgnored() throws {
        let data = try baseBundle(
            dropping: ["obs-labs-inr"],
            adding: [
                Self.observation("good", code: "6301-6", date: "2026-11-20", value: 1.1, unit: "{INR}"),
                Self.observation("wrong", code: "6301-6", status: "entered-in-error", date: "2026-11-29", value: 4.0, unit: "{INR}"),
            ])
        let c = try read(data)
        #expect(value(c, "labs.inr") == .number(1.1))
        #expect(provenance(c, "labs.inr")?.reference == "Observation/good")
        #expect(!c.warnings.contains { $0.contains("Observation/wrong") })
    }

    @Test func conflictingObservationsOfTheSameTimeLeaveTheFieldUnknown() throws {
        let data = try baseBundle(
            dropping: ["obs-labs-inr"],
            adding: [
                Self.observation("a", code: "6301-6", date: "2026-11-20T08:00:00Z", value: 1.1, unit: "{INR}"),
                Self.observation("b", code: "34714-6", date: "2026-11-20T09:00:00+01:00", value: 1.9, unit: "{INR}"),
            ])
        let c = try read(data)
        #expect(value(c, "labs.inr") == .nil)
        #expect(
            c.warnings.contains {
                $0.contains("labs.inr") && $0.contains("Observation/a") && $0.contains("Observation/b") && $0.contains("ambiguous")
            })
        // Unknown is not false: the procedures that need the INR are undetermined, never recommended.
        let decision = engine.evaluate(c).decision
        #expect(decision.status(of: "sacroplasty") == .undetermined)
        #expect(decision.document["missing"]?.arrayValue?.contains { $0["field"]?.stringValue == "labs.inr" } == true)
        #expect(decision.document["warnings"]?.arrayValue?.contains { $0.stringValue?.contains("Observation/b") == true } == true)
    }

    @Test func anOutdatedObservationLeavesTheFieldUnknown() throws {
        let data = try baseBundle(
            dropping: ["obs-labs-platelets"],
            adding: [
                Self.observation("old-plt", code: "777-3", date: "2026-10-01", value: 210, unit: "10*3/uL")
            ])
        let c = try read(data)
        #expect(value(c, "labs.platelets") == .nil)
        #expect(
            c.warnings.contains { $0.contains("labs.platelets") && $0.contains("Observation/old-plt") && $0.contains("older than 30 days") }
        )
    }

    @Test func unitsAreConvertedWhereTheMappingAllowsAndRefusedOtherwise() throws {
        let converted = try read(
            try baseBundle(
                dropping: ["obs-labs-platelets"],
                adding: [
                    Self.observation("plt-ul", code: "26515-7", date: "2026-11-28", value: 95000, unit: "/uL")
                ]))
        #expect(value(converted, "labs.platelets") == .integer(95))
        #expect(provenance(converted, "labs.platelets")?.original == "95000 /uL")

        let mismatch = try read(
            try baseBundle(
                dropping: ["obs-labs-platelets"],
                adding: [
                    Self.observation("plt-gdl", code: "777-3", date: "2026-11-28", value: 13.2, unit: "g/dL")
                ]))
        #expect(value(mismatch, "labs.platelets") == .nil)
        #expect(mismatch.warnings.contains { $0.contains("Observation/plt-gdl") && $0.contains("g/dL") && $0.contains("labs.platelets") })
    }

    @Test func anObservationWithoutANumberIsAWarningNamingResourceAndField() throws {
        var o = Self.observation("inr-text", code: "6301-6", date: "2026-11-28")
        o["valueString"] = "1,2"
        let c = try read(try baseBundle(dropping: ["obs-labs-inr"], adding: [o]))
        #expect(value(c, "labs.inr") == .nil)
        #expect(c.warnings.contains { $0.contains("Observation/inr-text") && $0.contains("valueString") && $0.contains("labs.inr") })
    }

    @Test func aValueOutsideTheDictionaryRangeIsAWarningAndUnknown() throws {
        let c = try read(
            try baseBundle(
                dropping: ["obs-labs-inr"],
                adding: [
                    Self.observation("inr-99", code: "6301-6", date: "2026-11-28", value: 99, unit: "{INR}")
                ]))
        #expect(value(c, "labs.inr") == .nil)
        #expect(c.warnings.contains { $0.contains("labs.inr") && $0.contains("Observation/inr-99") })
    }

    // MARK: - Conditions, allergies, questionnaire

    @Test func refutedConditionsSayFalseAndDisagreementLeavesUnknown() throws {
        // The base case answers systemic_infection false in the questionnaire; a refuted sepsis agrees.
        let refuted = try read(try baseBundle(adding: [Self.condition("sepsis-no", code: "91302008", verification: "refuted")]))
        #expect(value(refuted, "comorbidities.systemic_infection") == .boolean(false))
        #expect(provenance(refuted, "comorbidities.systemic_infection")?.reference == "Condition/sepsis-no")

        // An active sepsis disagrees with the answer: unknown, and the warning names both.
        let active = try read(try baseBundle(adding: [Self.condition("sepsis", code: "91302008")]))
        #expect(value(active, "comorbidities.systemic_infection") == .nil)
        #expect(
            active.warnings.contains {
                $0.contains("comorbidities.systemic_infection") && $0.contains("Condition/sepsis")
                    && $0.contains("QuestionnaireResponse/qr")
            })

        // Resolved conditions say nothing.
        let resolved = try read(try baseBundle(adding: [Self.condition("old-sepsis", code: "91302008", clinical: "resolved")]))
        #expect(value(resolved, "comorbidities.systemic_infection") == .boolean(false))
        #expect(provenance(resolved, "comorbidities.systemic_infection")?.reference == "QuestionnaireResponse/qr")
    }

    @Test func aPMMAAllergyIsFoundByItsWordsWhenNoCodeMatches() throws {
        let allergy: [String: Any] = [
            "resourceType": "AllergyIntolerance", "id": "cement",
            "clinicalStatus": [
                "coding": [["system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"]]
            ],
            "code": ["text": "Bone cement (polymethyl methacrylate)"], "patient": ["reference": "Patient/test-case"],
        ]
        let data = try baseBundle(
            [
                "comorbidities":
                    "comorbidities: { systemic_infection: false, local_infection: false, severe_cardiopulmonary_disease: false }"
            ],
            adding: [allergy])
        let c = try read(data)
        #expect(value(c, "comorbidities.pmma_allergy") == .boolean(true))
        #expect(engine.evaluate(c).decision.status(of: "sacroplasty") == .contraindicated)
    }

    @Test func twoPrimaryCancersInTheRecordAreAmbiguous() throws {
        let data = try baseBundle(
            ["cancer": "cancer: { tissue_diagnosis: primary_confirmed, visceral_metastases: none }"],
            adding: [
                Self.condition("lung", code: "363358000"), Self.condition("breast", code: "254837009"),
            ])
        let c = try read(data)
        #expect(value(c, "cancer.primary") == .nil)
        #expect(c.warnings.contains { $0.contains("cancer.primary") && $0.contains("Condition/lung") && $0.contains("Condition/breast") })
    }

    @Test func withoutLesionAnswersTheReaderRefusesOrAssumesOneUnknownLesionWhenAsked() throws {
        let validated = try engine.load(path: try temporaryFile(caseYAML()))
        var b = try bundle(of: validated)
        b["entry"] = (b["entry"] as! [[String: Any]]).filter {
            ($0["resource"] as? [String: Any])?["resourceType"] as? String != "QuestionnaireResponse"
        }
        let data = try JSONSerialization.data(withJSONObject: b)
        #expect(throws: FHIRInputError.self) { try read(data) }
        var reader = engine.fhirReader(mapping)
        reader.assumeOneLesionWhenNone = true
        let c = try reader.read(
            try FHIRReader.resources(ofBundle: data, file: "t").resources, evaluationDate: Self.day,
            fallbackID: "x", file: "t")
        #expect(c.warnings.contains { $0.contains("one lesion with every detail unknown") })
        #expect(value(c, "labs.inr") == .number(1.1))
        let decision = engine.evaluate(c).decision
        #expect(decision.status(of: "sacroplasty") != .recommended)
    }

    @Test func malformedJSONAndNonBundlesAreRefusedWithTheFile() throws {
        #expect(throws: FHIRInputError.self) { try FHIRReader.resources(ofBundle: Data("{ nope".utf8), file: "bad.json") }
        do {
            _ = try FHIRReader.resources(ofBundle: Data(#"{"resourceType":"Patient","id":"p"}"#.utf8), file: "p.json")
            Issue.record("a Patient was taken for a Bundle")
        } catch {
            #expect(error.description.hasPrefix("p.json: resourceType"))
        }
    }

    @Test func aLesionAnsweredWithoutItsRequiredIdIsRefusedNamingTheField() throws {
        let validated = try engine.load(path: try temporaryFile(caseYAML()))
        var b = try bundle(of: validated)
        var entries = b["entry"] as! [[String: Any]]
        let at = entries.firstIndex { ($0["resource"] as? [String: Any])?["resourceType"] as? String == "QuestionnaireResponse" }!
        var qr = entries[at]["resource"] as! [String: Any]
        qr["item"] = (qr["item"] as! [[String: Any]]).map { item in
            guard item["linkId"] as? String == "lesions" else { return item }
            var lesion = item
            lesion["item"] = (item["item"] as! [[String: Any]]).filter { $0["linkId"] as? String != "lesions[].id" }
            return lesion
        }
        entries[at]["resource"] = qr
        b["entry"] = entries
        do {
            _ = try read(try JSONSerialization.data(withJSONObject: b))
            Issue.record("a lesion without an id was accepted")
        } catch {
            #expect(String(describing: error).contains("lesions[0].id"))
        }
    }

    @Test func aDuplicateKeyIsRefusedLikeMalformedJSON() {
        let text =
            #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","valueQuantity":{"value":1.1,"value":9.0}}}]}"#
        #expect(throws: FHIRInputError.self) { try FHIRReader.resources(ofBundle: Data(text.utf8), file: "dup.json") }
    }

    @Test func prefetchDocumentsAreReadLikeABundle() throws {
        let patient = #"{"resourceType":"Patient","id":"pt-42","gender":"female","birthDate":"1958-04-11"}"#
        let inr =
            #"{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","id":"o-inr","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"6301-6"}]},"effectiveDateTime":"2026-11-20T08:00:00Z","valueQuantity":{"value":1.1,"system":"http://unitsofmeasure.org","code":"{INR}"}}}]}"#
        func tree(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) }
        let resources = FHIRReader.resources(ofDocuments: [
            FHIRJSONDocument(source: "patient", object: try tree(patient)), FHIRJSONDocument(source: "inr", object: try tree(inr)),
            FHIRJSONDocument(source: "allergies", object: NSNull()),
        ])
        #expect(resources.map(\.reference) == ["Patient/pt-42", "Observation/o-inr"])
        var reader = engine.fhirReader(mapping)
        reader.assumeOneLesionWhenNone = true
        let c = try reader.read(resources, evaluationDate: Self.day, fallbackID: "x", file: "prefetch")
        #expect(c.validated.id == "pt-42")
        #expect(value(c, "patient.age") == .integer(68))
        #expect(value(c, "labs.inr") == .number(1.1))
        #expect(provenance(c, "labs.inr")?.source == "inr")
    }

    // MARK: - The mapping in Rules/

    @Test func editingALOINCCodeInACopyOfTheMappingCountsWithoutARebuild() throws {
        let rules = try copyOfRules()
        let path = rules + "/fhir.lua"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: #"LOINC .. "|6301-6""#, with: #"LOINC .. "|99999-9""#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let edited = try makeEngine(rules: rules)
        let editedMapping = try #require(try edited.fhirMapping())
        let data = try baseBundle(
            dropping: ["obs-labs-inr"],
            adding: [
                Self.observation("local-inr", code: "99999-9", date: "2026-11-28", value: 1.3, unit: "{INR}"),
                Self.observation("std-inr", code: "6301-6", date: "2026-11-29", value: 2.9, unit: "{INR}"),
            ])
        let c = try read(data, mapping: editedMapping, engine: edited)
        #expect(value(c, "labs.inr") == .number(1.3))
        #expect(provenance(c, "labs.inr")?.reference == "Observation/local-inr")
        // The shipped mapping reads the standard code instead.
        #expect(value(try read(data), "labs.inr") == .number(2.9))
    }

    @Test func sacralCheckValidatesTheMappingAgainstTheFieldDictionary() throws {
        #expect(
            FHIRMapping.check(
                try RuleSet.load(directory: shippedRules), dictionary: engine.dictionary,
                pathways: engine.catalog.pathways
            ).isEmpty)
        let rules = try copyOfRules()
        let path = rules + "/fhir.lua"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text += """

            map { "labs.inrr", resource = "Observation", codes = { "http://loinc.org|6301-6" } }
            map { "comorbidities.local_infection", resource = "Observation", codes = { "http://loinc.org|1-8" } }
            map { "cancer.growth", resource = "Condition", values = { fast = { codes = { "http://snomed.info/sct|1" } } } }
            order { "kyphoplasty", codes = { "urn:x|k" } }
            map { "symptoms.frankel", resource = "Condition", valuez = {} }

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let problems = RuleChecker.check(try RuleSet.load(directory: rules))
        let messages = problems.map(\.description)
        #expect(messages.contains { $0.contains("fhir.lua:") && $0.contains("'labs.inrr'") && $0.contains("declares no such field") })
        #expect(messages.contains { $0.contains("'comorbidities.local_infection'") && $0.contains("boolean") })
        #expect(messages.contains { $0.contains("'cancer.growth'") && $0.contains("'fast'") && $0.contains("enumeration") })
        #expect(messages.contains { $0.contains("'kyphoplasty'") && $0.contains("no such pathway") })
        #expect(messages.contains { $0.contains("unknown key 'valuez'") })
        // Lines point into the file.
        #expect(problems.contains { $0.file.hasSuffix("fhir.lua") && $0.line > 100 })
    }

    @Test func theScopeOfThePatientViewCardIsReadFromTheMappingAndChecked() throws {
        let scope = try #require(mapping.scope)
        #expect(scope.codes.map(\.description).contains("http://snomed.info/sct|94222008"))
        #expect(scope.bodySite.map(\.description) == ["http://snomed.info/sct|54735007"])
        #expect(scope.clinicalStatuses == ["active", "recurrence", "relapse"])
        #expect(mapping.queries.contains { $0.key == "conditions" })
        #expect(!mapping.isInScope([]))

        // A mapping without `scope` shows the card on every chart.
        let rules = try copyOfRules()
        let path = rules + "/fhir.lua"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(text.range(of: "    scope = {"))
        let end = try #require(text.range(of: "    },\n", range: start.upperBound..<text.endIndex))
        try text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let unscoped = try #require(try FHIRMapping.load(from: try RuleSet.load(directory: rules)))
        #expect(unscoped.scope == nil)
        #expect(unscoped.isInScope([]))

        // A misspelt key or a scope without codes is reported, with the file.
        try text.replacingOccurrences(of: "        body_site = { SCT .. \"|54735007\" },", with: "        bodysite = {},")
            .replacingOccurrences(of: #"codes = { SCT .. "|94222008", SCT .. "|128462008", ICD10CM .. "|C79.51" },"#, with: "")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let messages = RuleChecker.check(try RuleSet.load(directory: rules)).map(\.description)
        #expect(messages.contains { $0.contains("fhir.lua:") && $0.contains("fhir{}.scope: unknown key 'bodysite'") })
        #expect(messages.contains { $0.contains("fhir{}.scope needs codes") })
    }

    @Test func aMappingFileThatRunsCodeOrLoopsIsRefused() throws {
        for body in ["fhir { questionnaire = { url = 'u' }, f = function() end }", "while true do end"] {
            let rules = try copyOfRules()
            try body.write(toFile: rules + "/fhir.lua", atomically: true, encoding: .utf8)
            #expect(throws: RuleSetError.self) { try FHIRMapping.load(from: try RuleSet.load(directory: rules)) }
        }
    }

    @Test func draftOrdersAreMatchedToPathwaysByCodeOrWords() {
        let cpt = FHIRCodeableConcept(coding: [
            FHIRCoding(system: "http://www.ama-assn.org/go/cpt", code: "0200T")
        ])
        #expect(mapping.pathways(forOrder: cpt) == ["sacroplasty"])
        #expect(mapping.pathways(forOrder: FHIRCodeableConcept(text: "CT-guided radiofrequency ablation, sacrum")) == ["rfa"])
        let json = #"{"resourceType":"ServiceRequest","status":"draft","intent":"proposal","code":{"text":"Lumbopelvic fixation"}}"#
        #expect(mapping.pathways(forOrderJSON: try! JSONSerialization.jsonObject(with: Data(json.utf8))) == ["fixation"])
        #expect(Set(mapping.orderCodes.keys) == ["sacroplasty", "rfa", "radiation", "decompression", "fixation"])
        let keys = mapping.queries.map(\.key)
        #expect(keys.contains("patient") && keys.contains("labs_inr") && keys.contains("conditions"))
        #expect(mapping.queries.first { $0.key == "labs_inr" }?.template.contains("http://loinc.org|6301-6") == true)
    }

    @Test func theQuestionnaireAsksWhatTheRecordCannotGive() throws {
        let q = FHIRQuestionnaire.make(mapping, dictionary: engine.dictionary)
        #expect(q["resourceType"]?.stringValue == "Questionnaire")
        #expect(q["url"]?.stringValue == mapping.questionnaireURL)
        var links: [String: JSONValue] = [:]
        func walk(_ items: [JSONValue]) {
            for item in items {
                if let id = item["linkId"]?.stringValue { links[id] = item }
                walk(item["item"]?.arrayValue ?? [])
            }
        }
        walk(q["item"]?.arrayValue ?? [])
        #expect(links["labs.inr"] == nil)  // from the record only
        #expect(links["comorbidities.pmma_allergy"] != nil)  // ask = true
        #expect(links["lesions"]?["repeats"] == .bool(true))
        #expect(links["lesions[].id"]?["required"] == .bool(true))
        #expect(links["lesions[].zones"]?["answerOption"]?.arrayValue?.count == 3)
        #expect(links["lesions[].levels"]?["repeats"] == .bool(true))
        #expect(links["history.radiation_response"]?["enableWhen"]?.arrayValue?.first?["question"]?.stringValue == "history.radiation")
        #expect(links["cancer.primary"]?["type"]?.stringValue == "choice")
    }
}

/// One patient per evaluation: another patient's resources are never read.
@Suite struct FHIRPatientTests {
    @Test func resourcesOfAnotherPatientAreNotUsedAndTwoPatientsAreRefused() throws {
        let t = try FHIRTests()
        var other = FHIRTests.observation("someone-else", code: "6301-6", date: "2026-11-30", value: 3.5, unit: "{INR}")
        other["subject"] = ["reference": "Patient/another"]
        let c = try t.read(try t.baseBundle(adding: [other]))
        #expect(t.value(c, "labs.inr") == .number(1.1))
        #expect(c.warnings.contains { $0.contains("Observation/someone-else") && $0.contains("Patient/another") })

        let second: [String: Any] = ["resourceType": "Patient", "id": "another"]
        #expect(throws: FHIRInputError.self) { try t.read(try t.baseBundle(adding: [second])) }
    }
}

/// Coded Observation values and CDS Hooks prefetch objects.
@Suite struct FHIRCodedValueTests {
    @Test func anECOGGradeSentAsALOINCAnswerIsReadAsItsNumber() throws {
        let t = try FHIRTests()
        var ecog = FHIRTests.observation("ecog-la", code: "89247-1", date: "2026-11-28")
        ecog["valueCodeableConcept"] = ["coding": [["system": "http://loinc.org", "code": "LA9624-3", "display": "ECOG 2"]]]
        let c = try t.read(try t.baseBundle(adding: [ecog]))
        #expect(t.value(c, "patient.ecog") == .integer(2))
        #expect(t.provenance(c, "patient.ecog")?.element == "valueCodeableConcept")

        ecog["valueCodeableConcept"] = ["coding": [["system": "http://loinc.org", "code": "LA4489-6"]]]
        let unknown = try t.read(try t.baseBundle(adding: [ecog]))
        #expect(t.value(unknown, "patient.ecog") == .nil)
        #expect(unknown.warnings.contains { $0.contains("Observation/ecog-la") && $0.contains("patient.ecog") })
    }

    @Test func aPrefetchObjectIsReadKeyByKey() throws {
        let prefetch = #"""
            {"patient": {"resourceType": "Patient", "id": "pt-42", "birthDate": "1958-04-11"},
             "labs_platelets": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": "Observation",
               "id": "plt", "status": "final", "subject": {"reference": "Patient/pt-42"},
               "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]}, "effectiveDateTime": "2026-11-30",
               "valueQuantity": {"value": 85, "system": "http://unitsofmeasure.org", "code": "10*3/uL"}}}]},
             "allergies": null}
            """#
        let object = try #require(try JSONSerialization.jsonObject(with: Data(prefetch.utf8)) as? [String: Any])
        let resources = FHIRReader.resources(
            ofDocuments: object.keys.sorted().map { FHIRJSONDocument(source: $0, object: object[$0]!) })
        #expect(resources.map(\.source) == ["labs_platelets", "patient"])
        let t = try FHIRTests()
        var reader = t.engine.fhirReader(t.mapping)
        reader.assumeOneLesionWhenNone = true
        let c = try reader.read(resources, evaluationDate: FHIRTests.day, fallbackID: "x", file: "prefetch")
        #expect(t.value(c, "labs.platelets") == .integer(85))
        #expect(t.provenance(c, "labs.platelets")?.summary == "Observation/plt (2026-11-30, valueQuantity 85 10*3/uL)")
    }
}

/// Several Bundle files make one patient's record.
@Suite struct FHIRFilesTests {
    @Test func severalBundleFilesAreOnePatientAndTheTimestampIsTheDefaultDate() throws {
        let t = try FHIRTests()
        let validated = try t.engine.load(path: try temporaryFile(caseYAML()))
        let whole = try t.bundle(of: validated)
        let entries = whole["entry"] as! [[String: Any]]
        func isForm(_ e: [String: Any]) -> Bool { (e["resource"] as? [String: Any])?["resourceType"] as? String == "QuestionnaireResponse" }
        var record = whole
        var form = whole
        record["entry"] = entries.filter { !isForm($0) }
        form["entry"] = entries.filter(isForm)
        form.removeValue(forKey: "timestamp")
        let a = try temporaryFile(String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self), ext: "json")
        let b = try temporaryFile(String(decoding: try JSONSerialization.data(withJSONObject: form), as: UTF8.self), ext: "json")
        let c = try t.engine.fhirReader(t.mapping).read(bundleFiles: [b, a], evaluationDate: nil)
        #expect(c.evaluationDate == FHIRTests.day)
        #expect(FHIRTests.same(c.validated.data, validated.data))
        // Without a date anywhere the input is refused: age and recency are never taken from the clock.
        #expect(throws: FHIRInputError.self) { try t.engine.fhirReader(t.mapping).read(bundleFiles: [b], evaluationDate: nil) }
    }
}
