import Foundation
import Testing

@testable import SacralEngine

/// A case file built to hurt the reader, and what the refusal must say.
struct HostileFile: Sendable, CustomTestStringConvertible {
    var name: String
    var ext: String
    var bytes: @Sendable () -> Data
    /// Text the message must contain.
    var message: String
    /// The field path of the issue, for files that decode but fail the field dictionary.
    var path: String = ""

    var testDescription: String { name }

    func write() throws -> String {
        let path = scratchPath("hostile", ext: ext)
        try bytes().write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// "Billion laughs": nine levels of anchors, each a list of nine aliases of the one before
/// (9^9 strings if expanded).
func billionLaughsYAML() -> String {
    var lines = [#"a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]"#]
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
    for i in 1..<names.count {
        let aliases = Array(repeating: "*" + names[i - 1], count: 9).joined(separator: ", ")
        lines.append("\(names[i]): &\(names[i]) [\(aliases)]")
    }
    return caseYAML() + lines.joined(separator: "\n") + "\n"
}

/// The valid case as JSON, with one replacement in its text.
func caseJSON(replacing target: String = "", with replacement: String = "") -> String {
    let json = #"{"id": "j", "labs": {"inr": 1.2, "platelets": 150}, "lesions": [{"id": "A", "epidural": "0", "zones": [1]}]}"#
    return target.isEmpty ? json : json.replacingOccurrences(of: target, with: replacement)
}

@Suite struct HostileInputTests {
    let engine: Engine

    init() throws {
        engine = try makeEngine()
    }

    static let files: [HostileFile] = [
        HostileFile(
            name: "a file over the 1 MiB limit", ext: "yaml",
            bytes: { Data((caseYAML() + "# " + String(repeating: "x", count: CaseDecoder().maxBytes) + "\n").utf8) },
            message: "is larger than the 1024 KiB a case file may have"),
        HostileFile(
            name: "10,000 nested YAML lists", ext: "yaml",
            bytes: { Data(String(repeating: "[", count: 10_000).utf8) },
            message: "is not valid YAML"),
        HostileFile(
            name: "100 nested YAML lists (within the parser's limit, over ours)", ext: "yaml",
            bytes: { Data(("id: x\nlesions: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n").utf8) },
            message: "is nested deeper than 32 levels"),
        HostileFile(
            name: "nested lists as YAML keys, duplicated (Yams ordered them in exponential time: minutes for 5 KB)",
            ext: "yaml",
            bytes: { try! Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Fuzz/regressions/yaml-nested-complex-keys.yaml")) },
            message: "has a list or a mapping as a key (line 2); the keys of a case file are plain names"),
        HostileFile(
            name: "a flow list as a YAML key", ext: "yaml",
            bytes: { Data((caseYAML() + "[a, b]: 1\n").utf8) },
            message: "has a list or a mapping as a key (line 10)"),
        HostileFile(
            name: "an alias as a YAML key", ext: "yaml",
            bytes: { Data((caseYAML() + "x: &k [1]\n*k : 2\n").utf8) },
            message: "has an alias (*name) as a key (line 11)"),
        HostileFile(
            name: "10,000 nested JSON arrays", ext: "json",
            bytes: { Data(String(repeating: "[", count: 10_000).utf8) },
            message: "is not valid JSON: Too many nested arrays or dictionaries"),
        HostileFile(
            name: "10,000 nested JSON objects", ext: "json",
            bytes: { Data(String(repeating: #"{"a":"#, count: 10_000).utf8) },
            message: "is not valid JSON"),
        HostileFile(
            name: "100 nested JSON arrays, closed", ext: "json",
            bytes: {
                Data((#"{"id": "x", "lesions": "# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}").utf8)
            },
            message: "is nested deeper than 32 levels"),
        HostileFile(
            name: "YAML alias expansion (billion laughs)", ext: "yaml",
            bytes: { Data(billionLaughsYAML().utf8) },
            message: "holds more than 100000 values (YAML aliases count each time they are used)"),
        HostileFile(
            name: "a duplicate key in YAML", ext: "yaml",
            bytes: { Data(caseYAML().replacingOccurrences(of: "inr: 1.1,", with: "inr: 1.1, inr: 9.0,").utf8) },
            message: "duplicate key 'inr'"),
        HostileFile(
            name: "a duplicate key in JSON", ext: "json",
            bytes: { Data(caseJSON(replacing: #""inr": 1.2"#, with: #""inr": 1.2, "inr": 9.0"#).utf8) },
            message: "is not valid JSON: duplicate key 'inr' at line 1"),
        HostileFile(
            name: "a duplicate key in JSON written with an escape", ext: "json",
            bytes: { Data(caseJSON(replacing: #""inr": 1.2"#, with: #""inr": 1.2, "\u0069nr": 9.0"#).utf8) },
            message: "duplicate key 'inr'"),
        HostileFile(
            name: ".nan for a number", ext: "yaml",
            bytes: { Data(caseYAML(["labs": "labs: { inr: .nan, platelets: 210 }"]).utf8) },
            message: "expected a number from 0.5 to 20, got nan", path: "labs.inr"),
        HostileFile(
            name: ".inf for a number", ext: "yaml",
            bytes: { Data(caseYAML(["labs": "labs: { inr: .inf, platelets: 210 }"]).utf8) },
            message: "expected a number from 0.5 to 20, got inf", path: "labs.inr"),
        HostileFile(
            name: "-.inf for a number", ext: "yaml",
            bytes: { Data(caseYAML(["labs": "labs: { inr: -.inf, platelets: 210 }"]).utf8) },
            message: "expected a number from 0.5 to 20, got -inf", path: "labs.inr"),
        HostileFile(
            name: "a number written as a string", ext: "yaml",
            bytes: { Data(caseYAML(["labs": #"labs: { inr: "1.1", platelets: 210 }"#]).utf8) },
            message: "remove the quotes", path: "labs.inr"),
        HostileFile(
            name: "a number written as a string in JSON", ext: "json",
            bytes: { Data(caseJSON(replacing: #""platelets": 150"#, with: #""platelets": "150""#).utf8) },
            message: "remove the quotes", path: "labs.platelets"),
        HostileFile(
            name: "a string where a list is due", ext: "yaml",
            bytes: { Data(caseYAML().replacingOccurrences(of: "levels: [S2]", with: "levels: S1").utf8) },
            message: "expected a list", path: "lesions[0].levels"),
        HostileFile(
            name: "invalid UTF-8", ext: "yaml",
            bytes: { Data(caseYAML().utf8) + Data([0x23, 0x20, 0xC3, 0x28, 0xFF, 0xFE, 0x0A]) },
            message: "is not valid UTF-8 text"),
        HostileFile(name: "an empty file", ext: "yaml", bytes: { Data() }, message: "is empty"),
        HostileFile(name: "a file of blanks", ext: "json", bytes: { Data(" \n\t\n".utf8) }, message: "is empty"),
        HostileFile(
            name: "random bytes with NULs", ext: "yaml",
            bytes: {
                var rng = SplitMix64(seed: 42)
                var bytes = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                for i in stride(from: 0, to: bytes.count, by: 97) { bytes[i] = 0 }
                return Data(bytes)
            }, message: "is not valid UTF-8 text"),
        HostileFile(
            name: "a base-60 integer too large for Yams (found by the case fuzzer: it trapped)", ext: "yaml",
            bytes: { Data(caseYAML().replacingOccurrences(of: "age: 62", with: "age: 1:0:0:0:0:0:0:0:0:0:0:0:0").utf8) },
            message: "patient.age: 1:0:0:0:0:0:0:0:0:0:0:0:0 is a base-60 (sexagesimal) number"),
        HostileFile(
            name: "a base-60 float", ext: "yaml",
            bytes: { Data(caseYAML().replacingOccurrences(of: "inr: 1.1", with: "inr: 1:10.5").utf8) },
            message: "labs.inr: 1:10.5 is a base-60 (sexagesimal) number"),
        HostileFile(
            name: "text with NUL bytes", ext: "yaml",
            bytes: { Data(caseYAML().utf8) + Data([0, 0, 0x0A]) },
            message: "holds NUL bytes: not a text file"),
    ]

    @Test(arguments: files)
    func hostileFileIsRefusedWithItsPathAndAClearMessage(file: HostileFile) throws {
        let path = try file.write()
        do {
            _ = try engine.load(path: path)
            Issue.record("\(file.name) was accepted")
        } catch {
            #expect(error.file == path)
            #expect(error.description.hasPrefix(path + ": "), "\(error.description.prefix(300))")
            let issue = error.issues.first { $0.message.contains(file.message) }
            #expect(issue != nil, "messages: \(error.issues.map { "\($0.path): \($0.message.prefix(300))" })")
            #expect(issue?.path == file.path)
            // A message quotes at most a line of the input, never the whole hostile file.
            #expect(error.description.utf8.count < 1_000, "\(error.description.utf8.count) bytes")
        }
    }

    @Test func directoryIsRefused() throws {
        let dir = scratchPath("case-dir", ext: "yaml")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect {
            _ = try engine.load(path: dir)
        } throws: { error in
            let e = error as! CaseLoadError
            return e.file == dir && e.description == "\(dir): is a directory, not a case file"
        }
    }

    @Test func missingFileIsRefused() throws {
        let path = scratchPath("no-such-case", ext: "yaml")
        #expect {
            _ = try engine.load(path: path)
        } throws: { error in
            let e = error as! CaseLoadError
            return e.file == path && e.description == "\(path): no such file"
        }
    }

    @Test func jsonWithoutDuplicatesIsNotMistakenForOne() throws {
        // The same key in two different objects, and a key that only appears as a value, are fine.
        let json =
            #"{"id": "j", "labs": {"inr": 1.2}, "patient": {"age": 70, "sex": "id"}, "lesions": [{"id": "A", "epidural": "0"}, {"id": "B", "epidural": "0"}]}"#
        let loaded = try engine.load(
            path: try temporaryFile(json.replacingOccurrences(of: #""sex": "id""#, with: #""sex": "male""#), ext: "json"))
        #expect(loaded.id == "j")
        #expect(loaded.data["lesions"].tableValue?.array.count == 2)
    }

    @Test func duplicateKeyScanFindsOnlyRealDuplicates() throws {
        #expect(try CaseDecoder.duplicateKey(in: Data(#"{"a": 1, "b": {"a": 2}, "c": ["a", "a"]}"#.utf8)) == nil)
        #expect(try CaseDecoder.duplicateKey(in: Data(#"[{"a": 1}, {"a": 2}]"#.utf8)) == nil)
        #expect(try CaseDecoder.duplicateKey(in: Data(#"{"a\"b": 1, "a\"b": 2}"#.utf8))?.0 == "a\"b")
        #expect(try CaseDecoder.duplicateKey(in: Data("{\n\"x\": {\"a\": 1,\n \"a\": 2}}".utf8))?.1 == 3)
    }

    /// Keys are compared as bytes while an object has few, and by their decoded text once it has
    /// many or one of them has an escape: a repeat is found either way, and only a repeat.
    @Test func duplicateKeyScanComparesEscapedAndManyKeysByText() throws {
        #expect(try CaseDecoder.duplicateKey(in: Data(#"{"inr": 1, "\u0069nr": 2}"#.utf8))?.0 == "inr")
        #expect(try CaseDecoder.duplicateKey(in: Data(#"{"\u0069nr": 1, "inr": 2}"#.utf8))?.0 == "inr")
        #expect(try CaseDecoder.duplicateKey(in: Data(#"{"ab": 1, "ba": 2, "a": 3, "": 4}"#.utf8)) == nil)
        #expect(try CaseDecoder.duplicateKey(in: Data(#"{"": 1, "": 2}"#.utf8))?.0 == "")
        let many = (0..<40).map { "\"k\($0)\": \($0)" }
        #expect(try CaseDecoder.duplicateKey(in: Data(("{" + many.joined(separator: ", ") + "}").utf8)) == nil)
        for repeated in [0, 15, 16, 39] {
            let keys = many + ["\"k\(repeated)\": 0"]
            #expect(try CaseDecoder.duplicateKey(in: Data(("{" + keys.joined(separator: ", ") + "}").utf8))?.0 == "k\(repeated)")
        }
        #expect(throws: CaseReadError.self) { try CaseDecoder.duplicateKey(in: Data(#"{"a\q": 1}"#.utf8)) }
    }
}

/// The command line refuses the same files with exit status 2 and names them.
@Suite(.enabled(if: sacralBinaryExists, "needs .build/debug/sacral (swift build)"))
struct HostileInputCLITests {
    static let files: [HostileFile] = HostileInputTests.files.filter {
        [
            "a file over the 1 MiB limit", "10,000 nested JSON arrays", "YAML alias expansion (billion laughs)",
            "a duplicate key in JSON", ".nan for a number", "invalid UTF-8", "random bytes with NULs", "an empty file",
        ]
        .contains($0.name)
    }

    @Test(arguments: files)
    func cliExitsWithStatus2AndNamesThePath(file: HostileFile) throws {
        let path = try file.write()
        let run = try runSacral(["evaluate", "--rules", shippedRules, path])
        #expect(run.status == 2)
        #expect(run.stderr.contains(path + ": "), "\(run.stderr.prefix(500))")
        #expect(run.stderr.contains(file.message), "\(run.stderr.prefix(500))")
        #expect(run.stdout.isEmpty)
    }

    @Test func cliRefusesAMissingFileAndADirectory() throws {
        let missing = scratchPath("no-such", ext: "yaml")
        let dir = scratchPath("dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let run = try runSacral(["evaluate", "--rules", shippedRules, missing, dir])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(missing): no such file"))
        #expect(run.stderr.contains("\(dir): is a directory, not a case file"))
    }
}
