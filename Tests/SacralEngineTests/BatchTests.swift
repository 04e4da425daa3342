import Foundation
import Testing

@testable import SacralEngine

/// One line of a JSON Lines batch and what its output line must be.
enum BatchEntry {
    case valid(id: String)
    case corrupted(kind: String)
    case blank
}

/// What the test needs of an output line. Decoding it checks that the whole line is one JSON
/// document (JSONDecoder scans all of it) without building every value of a 30 kB decision.
private struct OutputLine: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    /// Any JSON value, not looked into.
    struct Skipped: Decodable {
        init(from decoder: Decoder) throws {}
    }

    var keys: Set<String>
    var caseID: String?
    var pathways: Int?
    var line: Int?
    var errors: [[String: String]]?

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        keys = Set(c.allKeys.map(\.stringValue))
        caseID = try c.decodeIfPresent(String.self, forKey: Key("case"))
        pathways = try c.decodeIfPresent([String: Skipped].self, forKey: Key("pathways"))?.count
        line = try c.decodeIfPresent(Int.self, forKey: Key("line"))
        errors = try c.decodeIfPresent([[String: String]].self, forKey: Key("errors"))
    }
}

/// `sacral evaluate` loses nothing in a batch: one output line per input line, in order, every
/// line a whole JSON document, every bad entry named by its line, and the other files of a call
/// still evaluated.
@Suite(.enabled(if: sacralBinaryExists, "needs .build/debug/sacral (swift build)"))
struct BatchTests {
    /// How many entries the batch has: 10,000, scaled by SACRAL_TEST_SCALE (at least 1,000).
    static let count = scaled(10_000, minimum: 1_000)

    /// `count` entries, 5% of them corrupted, a few blank lines between them, no newline at the end.
    static func writeBatch(count: Int = BatchTests.count) throws -> (path: String, entries: [BatchEntry]) {
        let engine = try makeEngine()
        var generator = CaseGenerator(dictionary: engine.dictionary, seed: 4)
        // A thousand distinct generated cases, each used ten times under its own id (generating is
        // the slow part of a debug build).
        let templates = (0..<min(1_000, count)).map { _ in generator.next(id: "template") }
        var data = Data()
        var entries: [BatchEntry] = []
        let corruptions = ["truncated", "wrong type", "invalid UTF-8", "empty object", "not an object", "duplicate key"]
        for i in 0..<count {
            if i > 0, i % 331 == 0 {
                data.append(contentsOf: Array((i % 662 == 0 ? "\n" : " \t\n").utf8))
                entries.append(.blank)
            }
            let id = String(format: "batch-%05d", i)
            let valid = templates[i % templates.count].setting(["id"], to: .string(id)).json
            var line: Data
            if i % 20 == 7 {
                let kind = corruptions[(i / 20) % corruptions.count]
                switch kind {
                case "truncated": line = Data(valid.utf8.prefix(valid.utf8.count / 2))
                case "wrong type":
                    line = Data(
                        templates[i % templates.count].setting(["id"], to: .string(id))
                            .setting(["lesions"], to: .string("S1")).json.utf8)
                case "invalid UTF-8":
                    line = Data(valid.utf8)
                    line.insert(contentsOf: [0xFF, 0xC3, 0x28], at: line.count - 2)
                case "empty object": line = Data("{}".utf8)
                case "not an object": line = Data(#"["\#(id)", 1, null]"#.utf8)
                default: line = Data(valid.replacingOccurrences(of: #"{"id":"\#(id)""#, with: #"{"id":"\#(id)","id":"x""#).utf8)
                }
                entries.append(.corrupted(kind: kind))
            } else {
                line = Data(valid.utf8)
                entries.append(.valid(id: id))
            }
            data.append(line)
            if i < count - 1 { data.append(0x0A) }
        }
        let path = scratchPath("batch", ext: "jsonl")
        try data.write(to: URL(fileURLWithPath: path))
        return (path, entries)
    }

    @Test func jsonLinesBatchGivesOneWholeLinePerEntryInOrder() throws {
        let (path, entries) = try Self.writeBatch()
        let run = try runSacral(["evaluate", "--rules", shippedRules, "--jsonl", path])
        defer { try? FileManager.default.removeItem(atPath: run.stdoutPath) }
        #expect(run.status == 2, "\(run.stderr.suffix(500))")

        let output = run.stdout
        #expect(output.last == 0x0A, "the last line is not terminated")
        let lines = Self.lines(of: output)
        let nonBlank = entries.filter { if case .blank = $0 { return false } else { return true } }
        #expect(nonBlank.count == Self.count)
        #expect(lines.count == nonBlank.count, "\(lines.count) output lines for \(nonBlank.count) entries")

        let decoder = JSONDecoder()
        var physical = 0  // input line number of the entry
        var outputIndex = lines.startIndex
        var problems: [String] = []
        var corrupted = 0
        for entry in entries {
            physical += 1
            if case .blank = entry { continue }
            guard outputIndex < lines.endIndex else { break }
            let line = lines[outputIndex]
            outputIndex += 1
            guard let object = try? decoder.decode(OutputLine.self, from: line) else {
                problems.append(
                    "input line \(physical): output is not one JSON object: \(String(decoding: line.prefix(200), as: UTF8.self))")
                continue
            }
            switch entry {
            case .valid(let id):
                if object.caseID != id {
                    problems.append("input line \(physical): expected the decision for \(id), got \(object.caseID ?? "\(object.keys)")")
                } else if (object.pathways ?? 0) < 6 {
                    problems.append("input line \(physical): a decision without its pathways")
                }
            case .corrupted(let kind):
                corrupted += 1
                let errors = object.errors ?? []
                if object.keys != ["line", "errors"] || object.line != physical || errors.isEmpty
                    || errors.contains(where: { ($0["message"] ?? "").isEmpty || $0["path"] == nil })
                {
                    problems.append("input line \(physical) (\(kind)): \(String(decoding: line.prefix(300), as: UTF8.self))")
                }
            case .blank: break
            }
            if problems.count > 20 { break }
        }
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(10).joined(separator: "\n"))")
        #expect(corrupted == (Self.count + 12) / 20)
        // Each bad line is named on standard error by file and line.
        let firstBad = entries.prefix(40).enumerated().first { if case .corrupted = $0.element { return true } else { return false } }
        if let firstBad {
            #expect(run.stderr.contains("\(path):\(firstBad.offset + 1): "), "\(run.stderr.prefix(300))")
        }
    }

    /// The lines of a newline-terminated output (Data.split is byte-by-byte generic code, seconds
    /// for hundreds of megabytes in a debug build; memchr is not).
    static func lines(of data: Data) -> [Data] {
        var lines: [Data] = []
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var start = 0
            while start < raw.count, let hit = memchr(base + start, 0x0A, raw.count - start) {
                let end = base.distance(to: UnsafeRawPointer(hit))
                lines.append(Data(bytes: base + start, count: end - start))
                start = end + 1
            }
            if start < raw.count { lines.append(Data(bytes: base + start, count: raw.count - start)) }
        }
        return lines
    }

    /// Three case files, the middle one bad: the other two are still evaluated, in order.
    @Test(arguments: ["text", "json"])
    func badFileInTheMiddleDoesNotStopTheOthers(format: String) throws {
        let first = try temporaryFile(caseYAML(id: "batch-first"))
        let malformed = try temporaryFile("id: broken\nlesions: [ { id: A \n")
        let invalid = try temporaryFile(caseYAML(id: "batch-invalid", ["labs": "labs: { inr: 40 }"]))
        let last = try temporaryFile(
            #"{"id": "batch-last", "labs": {"inr": 1.2, "platelets": 150}, "lesions": [{"id": "A", "epidural": "0", "zones": [1]}]}"#,
            ext: "json")
        let run = try runSacral(["evaluate", "--rules", shippedRules, "--format", format, first, malformed, invalid, last])
        defer { try? FileManager.default.removeItem(atPath: run.stdoutPath) }
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("\(malformed): is not valid YAML"), "\(run.stderr)")
        #expect(run.stderr.contains("\(invalid): labs.inr: expected a number"), "\(run.stderr)")
        let stdout = String(decoding: run.stdout, as: UTF8.self)

        if format == "text" {
            let firstAt = stdout.range(of: "batch-first")
            let lastAt = stdout.range(of: "batch-last")
            #expect(firstAt != nil && lastAt != nil, "\(stdout.prefix(300))")
            if let firstAt, let lastAt { #expect(firstAt.lowerBound < lastAt.lowerBound) }
            #expect(!stdout.contains("batch-invalid"))
            return
        }
        // JSON: one document, an array with an object per file, in order; the bad files' objects
        // name them and their errors.
        let parsed = try JSONSerialization.jsonObject(with: run.stdout)
        let objects = try #require(parsed as? [[String: Any]], "not one JSON array of objects")
        #expect(objects.count == 4, "\(objects.count) objects")
        guard objects.count == 4 else { return }
        #expect(objects[0]["case"] as? String == "batch-first")
        #expect(objects[1]["file"] as? String == malformed)
        #expect((objects[1]["errors"] as? [Any])?.isEmpty == false)
        #expect(objects[2]["file"] as? String == invalid)
        #expect(((objects[2]["errors"] as? [[String: Any]])?.first?["path"]) as? String == "labs.inr")
        #expect(objects[3]["case"] as? String == "batch-last")
    }

    @Test func oneFilePrintsOneObjectAndSeveralPrintOneArray() throws {
        let a = try temporaryFile(caseYAML(id: "json-a"))
        let b = try temporaryFile(caseYAML(id: "json-b"))
        let one = try runSacral(["evaluate", "--rules", shippedRules, "--format", "json", a])
        defer { try? FileManager.default.removeItem(atPath: one.stdoutPath) }
        let object = try #require(try JSONSerialization.jsonObject(with: one.stdout) as? [String: Any])
        #expect(object["case"] as? String == "json-a")

        let two = try runSacral(["evaluate", "--rules", shippedRules, "--format", "json", a, b])
        defer { try? FileManager.default.removeItem(atPath: two.stdoutPath) }
        let array = try #require(try JSONSerialization.jsonObject(with: two.stdout) as? [[String: Any]])
        #expect(array.map { $0["case"] as? String } == ["json-a", "json-b"])
        // Each member is the single-file document, only indented one level deeper.
        let single = String(decoding: one.stdout, as: UTF8.self)
        let indented = single.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        #expect(String(decoding: two.stdout, as: UTF8.self).hasPrefix("[\n" + indented + ",\n"))
    }
}
