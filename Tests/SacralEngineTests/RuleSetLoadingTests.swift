import Foundation
import Testing

@testable import SacralEngine

/// Reading a rules directory: every regular file below it but the hidden ones, and a message naming
/// the file for anything that is not a plain, readable UTF-8 file of a bounded size.
struct RuleSetLoadingTests {
    /// The files `find` lists (regular files, no hidden name on the way), with their bytes.
    static func filesFound(under root: String) throws -> [String: String] {
        var found: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: root)
        while let rel = walker?.nextObject() as? String {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDirectory), !isDirectory.boolValue {
                found[rel] = try String(contentsOfFile: root + "/" + rel, encoding: .utf8)
            }
        }
        return found
    }

    @Test func theShippedRulesAreEveryVisibleFileWithItsText() throws {
        let ruleSet = try RuleSet.load(directory: shippedRules)
        let expected = try Self.filesFound(under: shippedRules)
        #expect(ruleSet.files.map(\.relativePath) == expected.keys.sorted())
        for file in ruleSet.files {
            #expect(file.text == expected[file.relativePath], "\(file.relativePath)")
            #expect(file.displayPath == shippedRules + "/" + file.relativePath)
        }
        #expect(!ruleSet.files.contains { $0.relativePath.hasPrefix(".") })  // .luacheckrc
        // A trailing slash names the same files and the same origin.
        let slashed = try RuleSet.load(directory: shippedRules + "/")
        #expect(slashed.sha256 == ruleSet.sha256)
        #expect(slashed.origin == ruleSet.origin)
    }

    @Test func hiddenFilesAndDirectoriesAreLeftOutAndNestedOnesRead() throws {
        let copy = try copyOfRules()
        try "not a rule".write(toFile: copy + "/.notes.lua", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: copy + "/.git/objects", withIntermediateDirectories: true)
        try "garbage \u{1}".write(toFile: copy + "/.git/objects/x.lua", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: copy + "/data/more/deeper", withIntermediateDirectories: true)
        try "return {}\n".write(toFile: copy + "/data/more/deeper/table.lua", atomically: true, encoding: .utf8)
        let loaded = try RuleSet.load(directory: copy)
        #expect(loaded.files.contains { $0.relativePath == "data/more/deeper/table.lua" })
        #expect(!loaded.files.contains { $0.relativePath.contains(".git") || $0.relativePath.contains(".notes") })
    }

    /// Each refusal names the file, relative to the rules directory as it was given.
    @Test func whatIsNoPlainUTF8FileIsRefusedByName() throws {
        let cases: [(name: String, make: (String) throws -> Void, says: String)] = [
            ("zz_fifo.lua", { path in #expect(mkfifo(path, 0o600) == 0) }, "is not a regular file"),
            (
                "zz_latin1.lua", { path in try Data([0x2D, 0x2D, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path)) },
                "is not UTF-8 text"
            ),
            (
                "zz_huge.lua",
                { path in
                    #expect(FileManager.default.createFile(atPath: path, contents: nil))
                    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                    try handle.truncate(atOffset: UInt64(RuleSet.maxFileBytes + 1))
                    try handle.close()
                }, "a file of the rules may hold at most"
            ),
        ]
        for c in cases {
            let copy = try copyOfRules()
            try c.make(copy + "/rules/" + c.name)
            #expect {
                _ = try RuleSet.load(directory: copy)
            } throws: { error in
                let message = (error as? RuleSetError)?.message ?? "\(error)"
                let ok = message.contains(copy + "/rules/" + c.name) && message.contains(c.says)
                if !ok { Issue.record("\(c.name): \(message)") }
                return ok
            }
        }
    }

    @Test func directoriesNestedTooDeepAreRefused() throws {
        let copy = try copyOfRules()
        let deep = copy + "/data" + String(repeating: "/d", count: RuleSet.maxDepth + 1)
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        try "return {}\n".write(toFile: deep + "/x.lua", atomically: true, encoding: .utf8)
        #expect {
            _ = try RuleSet.load(directory: copy)
        } throws: { error in
            ((error as? RuleSetError)?.message ?? "").contains("is nested more than \(RuleSet.maxDepth) directories deep")
        }
        // At the limit, the file is read.
        let atLimit = try copyOfRules()
        let path = atLimit + String(repeating: "/d", count: RuleSet.maxDepth)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "return {}\n".write(toFile: path + "/x.lua", atomically: true, encoding: .utf8)
        #expect(try RuleSet.load(directory: atLimit).files.contains { $0.relativePath.hasSuffix("/d/x.lua") })
    }

    @Test func aMissingDirectoryAFileAndAnEmptyDirectoryAreRefused() throws {
        let empty = scratchPath("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let cases = [
            ("/nonexistent/Rules", "no such rules directory"), (shippedRules + "/fields.lua", "no such rules directory"),
            (empty, "holds no .lua rule files"),
        ]
        for (path, says) in cases {
            #expect {
                _ = try RuleSet.load(directory: path)
            } throws: { error in
                ((error as? RuleSetError)?.message ?? "").contains(says)
            }
        }
    }
}
