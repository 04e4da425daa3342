import Foundation
import Testing

@testable import SacralEngine

/// `--format summary` and `--format csv` say what the full decision says, reduced for cohorts.
struct CohortOutputTests {
    private func decision(_ yaml: String) throws -> Decision {
        let engine = try makeEngine()
        let validated = try engine.load(path: try temporaryFile(yaml))
        return engine.evaluate(validated)
    }

    @Test func summaryCarriesEveryPathwayWithTheStatusOfTheFullDecision() throws {
        let d = try decision(caseYAML(id: "summary-case"))
        let summary = CohortSummary(d)
        #expect(summary.caseID == "summary-case")
        #expect(summary.rulesetSHA256 == d.document["ruleset"]?["sha256"]?.stringValue)
        #expect(summary.rulesetSHA256.count == 64)
        #expect(summary.pathways.map(\.id) == d.pathwayIDs)
        for p in summary.pathways {
            #expect(p.status == d.status(of: p.id)?.rawValue)
            #expect(p.strength == d.document["pathways"]?[p.id]?["strength"]?.stringValue)
            #expect(!p.rules.isEmpty, "\(p.id): no deciding rule")
        }
        let sacroplasty = try #require(summary.pathways.first { $0.id == "sacroplasty" })
        let lesions = try #require(sacroplasty.lesions)
        let full = try #require(d.document["pathways"]?["sacroplasty"]?["lesions"]?.objectValue)
        #expect(lesions.map(\.id) == full.map(\.0))
        for l in lesions {
            #expect(l.status == full.first { $0.0 == l.id }?.1["status"]?.stringValue)
        }
    }

    @Test func decidingRulesAreThoseThatGaveTheStatus() throws {
        // Epidural tumour: sacroplasty is contraindicated (absolute) by the epidural exclusion.
        let d = try decision(
            caseYAML(
                id: "epidural",
                [
                    "lesions":
                        "lesions: [ { id: S1, levels: [S1], zones: [1], epidural: \"2\", foraminal_erosion: false, diameter_cm: 2.5, bone_lesion: lytic } ]"
                ]))
        let sacroplasty = try #require(CohortSummary(d).pathways.first { $0.id == "sacroplasty" })
        #expect(sacroplasty.status == "contraindicated")
        #expect(sacroplasty.strength == "absolute")
        #expect(sacroplasty.rules.contains("exclusion.epidural_disease"), "\(sacroplasty.rules)")
        // Every deciding rule gave this status; rules that spoke otherwise are not listed.
        let reasons = d.document["pathways"]?["sacroplasty"]?["reasons"]?.arrayValue ?? []
        for rule in sacroplasty.rules {
            #expect(reasons.contains { $0["rule"]?.stringValue == rule && $0["status"]?.stringValue == "contraindicated" })
        }
    }

    @Test func undeterminedNamesTheMissingFieldsAndTheRulesThatNeedThem() throws {
        let d = try decision(caseYAML(id: "no-inr", ["labs": "labs: { platelets: 210 }"]))
        let s = CohortSummary(d)
        let sacroplasty = try #require(s.pathways.first { $0.id == "sacroplasty" })
        #expect(sacroplasty.status == "undetermined")
        #expect(sacroplasty.missing.contains("labs.inr"))
        #expect(sacroplasty.rules.contains("sacroplasty.coagulopathy"), "\(sacroplasty.rules)")
        #expect(s.missing.contains("labs.inr"))
    }

    @Test func summaryLineIsOneJSONObject() throws {
        let d = try decision(caseYAML(id: "line"))
        let line = CohortSummary(d).line
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["case", "source", "ruleset_sha256", "pathways", "alerts", "missing", "errors"])
        let pathways = try #require(object["pathways"] as? [String: Any])
        #expect(pathways.count == d.pathwayIDs.count)
    }

    @Test func csvHasOneRowPerPathwayWithTheHeaderColumns() throws {
        let d = try decision(caseYAML(id: "csv, \"quoted\""))
        let rows = CohortCSV.rows(CohortSummary(d)).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.count == d.pathwayIDs.count)
        // The id holds a comma and quotes: quoted, quotes doubled (RFC 4180).
        #expect(rows.allSatisfy { $0.hasPrefix("\"csv, \"\"quoted\"\"\",") }, "\(rows.first ?? "")")
        let header = CohortCSV.header.trimmingCharacters(in: .newlines).components(separatedBy: ",")
        #expect(header == CohortCSV.columns)
        let sacroplasty = try #require(rows.first { $0.contains(",sacroplasty,") })
        #expect(sacroplasty.contains(",\(d.status(of: "sacroplasty")?.rawValue ?? "?"),"))
    }

    @Test func csvParsesBackIntoTheSameFields() throws {
        let d = try decision(caseYAML(id: "roundtrip"))
        let s = CohortSummary(d)
        let text = CohortCSV.header + CohortCSV.rows(s)
        // A minimal RFC 4180 reader: enough to check that no field spills into the next.
        var records: [[String]] = [[]]
        var field = ""
        var quoted = false
        var previousQuote = false
        for ch in text.unicodeScalars {
            if quoted {
                if ch == "\"" {
                    quoted = false
                    previousQuote = true
                } else {
                    field.unicodeScalars.append(ch)
                }
                continue
            }
            if ch == "\"" {
                if previousQuote { field += "\"" }
                quoted = true
                previousQuote = false
                continue
            }
            previousQuote = false
            if ch == "," {
                records[records.count - 1].append(field)
                field = ""
            } else if ch == "\n" {
                records[records.count - 1].append(field)
                field = ""
                records.append([])
            } else if ch != "\r" {
                field.unicodeScalars.append(ch)
            }
        }
        records = records.filter { !$0.isEmpty }
        #expect(records.count == 1 + s.pathways.count)
        #expect(records.allSatisfy { $0.count == CohortCSV.columns.count })
        for (row, p) in zip(records.dropFirst(), s.pathways) {
            #expect(row[2] == p.id && row[3] == p.status && row[7] == p.rules.joined(separator: ";"))
            #expect(row[11] == s.rulesetSHA256)
        }
    }

    /// The renderer escapes what JSON requires and nothing else, and a JSON reader gets the very
    /// text back: quotes, backslashes, the named and the other control characters, DEL, and
    /// non-ASCII text as it is.
    @Test func jsonTextIsEscapedAsJSONRequiresAndReadsBack() throws {
        let text = "say \"no\" \\ then\n\r\t\u{01}\u{1f}\u{7f} é → 𝄞"
        let doc = JSONValue.object([("k\"ey", .string(text)), ("n", .int(-3)), ("d", .double(2.5)), ("e", .array([]))])
        let compact = doc.serialized(pretty: false)
        #expect(compact == #"{"k\"ey":"say \"no\" \\ then\n\r\t\u0001\u001f\u007f é → 𝄞","n":-3,"d":2.5,"e":[]}"#)
        let read = try #require(try JSONSerialization.jsonObject(with: Data(compact.utf8)) as? [String: Any])
        #expect(read["k\"ey"] as? String == text)
        let pretty = doc.serialized()
        #expect(pretty.hasPrefix("{\n  \"k\\\"ey\": \"say"))
        #expect(pretty.hasSuffix("\"e\": []\n}"))
    }

    /// The word-at-a-time scan that lets most texts be written whole finds exactly the bytes a
    /// byte-by-byte scan finds, at every position and length (both the words and the tail).
    @Test func escapeScanAgreesWithAByteByByteScan() {
        var generator = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xC3, 0xA9, 0xFF, 0x41]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &generator)
            var bytes = (0..<length).map { _ in UInt8(ascii: "a") }
            // Mostly plain text with a few bytes of interest, anywhere.
            for _ in 0..<Int.random(in: 0...3, using: &generator) where length > 0 {
                let byte =
                    Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
                bytes[Int.random(in: 0..<length, using: &generator)] = byte
            }
            let expected = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }
            let found = bytes.withUnsafeBufferPointer { JSONValue.needsEscape($0) }
            #expect(found == expected, "\(bytes)")
            if found != expected { return }
        }
    }

    /// The summary is read from the typed decision; what the rendered document says of every
    /// corpus case (statuses, deciding rules, lesions, approaches, alerts, missing fields) is the
    /// oracle it must equal.
    @Test func summaryOfEveryCorpusCaseSaysWhatItsDocumentSays() throws {
        let engine = try makeEngine()
        var files: [String] = []
        let walker = FileManager.default.enumerator(atPath: repositoryRoot + "/Cases")
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".yaml") || path.hasSuffix(".json") { files.append(repositoryRoot + "/Cases/" + path) }
        }
        #expect(files.count > 100)
        var lesionPathways = 0
        for file in files.sorted() {
            guard let validated = try? engine.load(path: file) else { continue }
            let d = engine.evaluate(validated)
            let doc = d.document
            let s = CohortSummary(d)
            #expect(s.rulesetSHA256 == doc["ruleset"]?["sha256"]?.stringValue, "\(file)")
            #expect(s.alerts == (doc["alerts"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }, "\(file)")
            #expect(s.missing == (doc["missing"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue }, "\(file)")
            let fromDocument = (doc["pathways"]?.objectValue ?? []).map { id, p in Self.pathwayReadFromDocument(id, p) }
            #expect(s.pathways == fromDocument, "\(file)")
            lesionPathways += s.pathways.filter { $0.lesions != nil }.count
            // The cohort outputs' own evaluation, whose texts and inputs never cross into Swift.
            let (summarized, failures) = engine.summarize(validated)
            #expect(summarized.line == s.line, "\(file)")
            #expect(failures == d.failures, "\(file)")
        }
        #expect(lesionPathways > 100)
    }

    /// Rules that fail — an error, the instruction budget, a budget spent asking another pathway's
    /// status — are failures of the summary's evaluation exactly as of the full one: the summary's
    /// evaluation runs the same rules in the same windows, and is reduced only once they closed.
    @Test func summarizedEvaluationFailsTheSameRulesAsTheFullOne() throws {
        let failing = """
            rule {
                id = "zz.fails", pathways = { "sacroplasty" }, implements = {}, source = "knowledge-base",
                when = function(c) return c:get("labs.inr") + nil end,
                effect = { status = "recommended", text = "never" },
            }
            rule {
                id = "zz.spins", pathways = { "rfa" }, implements = {}, source = "knowledge-base",
                when = function(c) local n = 0 while true do n = n + 1 end end,
                effect = { status = "recommended", text = "never" },
            }
            rule {
                id = "zz.asks", pathways = { "radiation" }, implements = {}, source = "knowledge-base",
                when = function(c)
                    -- Runs (and charges) the sacroplasty rules, which fail or are unknown, then spins.
                    local asked = pcall(function() return c:status("sacroplasty") end)
                    local n = 0 while n < 1e9 do n = n + 1 end
                    return asked
                end,
                effect = { status = "option", text = "never" },
            }

            """
        let rules = try copyOfRules()
        try failing.write(toFile: rules + "/rules/zz_failing.lua", atomically: true, encoding: .utf8)
        let engine = try makeEngine(rules: rules)
        let validated = try engine.load(path: try temporaryFile(caseYAML(id: "failing")))
        let full = engine.evaluate(validated)
        let (summary, failures) = engine.summarize(validated)
        #expect(Set(full.failures.map(\.rule)).isSuperset(of: ["zz.fails", "zz.spins", "zz.asks"]), "\(full.failures)")
        #expect(failures == full.failures)
        #expect(summary.line == CohortSummary(full).line)
        #expect(CohortCSV.rows(summary) == CohortCSV.rows(CohortSummary(full)))
    }

    /// A pathway as the document shows it, read the way a consumer of the JSON would.
    private static func pathwayReadFromDocument(_ id: String, _ p: JSONValue) -> CohortSummary.Pathway {
        let status = p["status"]?.stringValue ?? "undetermined"
        let strength = p["strength"]?.stringValue
        var rules: [String] = []
        for r in p["reasons"]?.arrayValue ?? [] {
            let outcome = r["outcome"]?.stringValue
            let deciding =
                (status == "undetermined" && (outcome == "unknown" || outcome == "error")) || outcome == "default"
                || (outcome == "fired" && r["status"]?.stringValue == status
                    && (strength == nil || r["strength"]?.stringValue == nil || r["strength"]?.stringValue == strength))
            if deciding, let rule = r["rule"]?.stringValue, !rules.contains(rule) { rules.append(rule) }
        }
        let lesions = p["lesions"]?.objectValue.map { pairs in
            pairs.map { lid, l in
                CohortSummary.Lesion(
                    id: lid, status: l["status"]?.stringValue ?? "undetermined", strength: l["strength"]?.stringValue,
                    approach: (l["approach"]?.arrayValue ?? l["modality"].map { [$0] } ?? []).compactMap(\.stringValue))
            }
        }
        return CohortSummary.Pathway(
            id: id, status: status, strength: strength, rules: rules,
            missing: (p["missing"]?.arrayValue ?? []).compactMap(\.stringValue), lesions: lesions)
    }

    @Test func badInputRowNamesTheSourceAndTheProblem() {
        let row = CohortCSV.badInput(source: "cases.jsonl:7", issues: [ValidationIssue(path: "labs.inr", message: "expected a number")])
        #expect(row == ",cases.jsonl:7,,bad_input,,,,,,,labs.inr: expected a number,\r\n")
    }
}
