import Testing

@testable import SacralEngine

/// Each kind of bad input is refused with the file, the field path and what was expected.
@Suite struct ValidationTests {
    let engine: Engine

    init() throws {
        engine = try makeEngine()
    }

    private func issues(_ yaml: String, ext: String = "yaml") throws -> [ValidationIssue] {
        let path = try temporaryFile(yaml, ext: ext)
        do {
            _ = try engine.load(path: path)
            return []
        } catch {
            #expect(error.file == path)
            return error.issues
        }
    }

    @Test func validCaseLoadsWithoutWarnings() throws {
        let c = try engine.load(path: try temporaryFile(caseYAML()))
        #expect(c.id == "test-case")
        #expect(c.warnings.isEmpty)
    }

    @Test func negativePlateletsNameTheFieldAndRange() throws {
        let found = try issues(caseYAML(["labs": "labs: { inr: 1.1, platelets: -5 }"]))
        #expect(found.map(\.path) == ["labs.platelets"])
        #expect(found.first?.message.contains("from 0 to 2000") == true)
    }

    @Test func wrongTypeNamesTheListIndex() throws {
        let yaml = caseYAML([
            "lesions": """
            lesions:
              - { id: A, diameter_cm: 2.0 }
              - { id: B, diameter_cm: big }
            """
        ])
        let found = try issues(yaml)
        #expect(found.map(\.path) == ["lesions[1].diameter_cm"])
        #expect(found.first?.message.contains("expected a number") == true)
    }

    @Test func valueOutsideItsEnumerationListsTheAllowedValues() throws {
        let found = try issues(caseYAML(["cancer": "cancer: { primary: spleen }"]))
        #expect(found.map(\.path) == ["cancer.primary"])
        #expect(found.first?.message.contains("\"lung\"") == true)
    }

    @Test func unquotedEpiduralGradeIsRefusedWithAHint() throws {
        let found = try issues(caseYAML(["lesions": "lesions: [ { id: A, epidural: 2 } ]"]))
        #expect(found.map(\.path) == ["lesions[0].epidural"])
        #expect(found.first?.message.contains("quote it") == true)
    }

    @Test func numberWrittenAsStringIsRefused() throws {
        let found = try issues(caseYAML(["labs": "labs: { inr: \"1.2\" }"]))
        #expect(found.map(\.path) == ["labs.inr"])
        #expect(found.first?.message.contains("remove the quotes") == true)
    }

    @Test func karnofskyMustBeAMultipleOfTen() throws {
        let found = try issues(caseYAML(["patient": "patient: { karnofsky: 65 }"]))
        #expect(found.map(\.path) == ["patient.karnofsky"])
    }

    @Test func missingRequiredFieldsAreNamed() throws {
        let found = try issues("title: no id\nlesions: []\n")
        #expect(Set(found.map(\.path)) == ["id", "lesions"])
    }

    @Test func lesionsMustNotBeEmptyAndIdsMustBeUnique() throws {
        #expect(try issues(caseYAML(["lesions": "lesions: []"])).map(\.path) == ["lesions"])
        let dup = try issues(caseYAML(["lesions": "lesions: [ { id: A }, { id: A } ]"]))
        #expect(dup.map(\.path) == ["lesions[1].id"])
    }

    @Test func everyProblemOfAFileIsReported() throws {
        let found = try issues(caseYAML(["labs": "labs: { inr: 40, platelets: -1 }"]))
        #expect(found.map(\.path) == ["labs.inr", "labs.platelets"])
    }

    @Test func unknownKeyIsAWarningNotAnError() throws {
        let path = try temporaryFile(caseYAML(["labs": "labs: { inr: 1.1, platelet: 200 }"]))
        let c = try engine.load(path: path)
        #expect(c.warnings.contains { $0.contains("labs.platelet") })
    }

    @Test func nullMeansUnknown() throws {
        let c = try engine.load(path: try temporaryFile(caseYAML(["labs": "labs: { inr: null, platelets: 200 }"])))
        #expect(c.data["labs"]["inr"].isNil)
    }

    @Test func malformedYAMLIsReported() throws {
        let found = try issues("id: x\nlesions: [ { id: A \n")
        #expect(found.first?.message.contains("not valid YAML") == true)
    }

    @Test func duplicateKeysAreReported() throws {
        let found = try issues("id: x\nid: y\nlesions: [ { id: A } ]\n")
        #expect(found.first?.message.contains("duplicate key") == true)
    }

    @Test func jsonCasesReadLikeYAML() throws {
        let json = #"{"id": "j", "labs": {"inr": 1.2, "platelets": 150}, "lesions": [{"id": "A", "epidural": "0", "zones": [1]}]}"#
        let c = try engine.load(path: try temporaryFile(json, ext: "json"))
        #expect(c.id == "j")
        #expect(c.data["labs"]["platelets"] == .integer(150))
    }

    @Test func jsonBooleanIsNotANumber() throws {
        let json = #"{"id": "j", "labs": {"inr": true}, "lesions": [{"id": "A"}]}"#
        #expect(try issues(json, ext: "json").map(\.path) == ["labs.inr"])
    }

    @Test func malformedJSONIsReported() throws {
        #expect(try issues("{\"id\": ", ext: "json").first?.message.contains("not valid JSON") == true)
    }

    @Test func emptyFileIsReported() throws {
        #expect(try issues("").first?.message == "is empty")
    }
}
