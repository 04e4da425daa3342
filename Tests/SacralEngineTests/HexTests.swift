import Crypto
import Foundation
import Testing

@testable import SacralEngine

struct HexTests {
    @Test func everyByteIsWrittenAsFormatWritesIt() {
        let all = (0...255).map { UInt8($0) }
        #expect(all.lowercaseHex == all.map { String(format: "%02x", $0) }.joined())
        #expect([UInt8]().lowercaseHex == "")
    }

    /// The hash computed apart, with swift-crypto.
    private func sha256(_ files: [RuleSet.File]) -> String {
        var hasher = SHA256()
        for file in files {
            hasher.update(data: Data(file.relativePath.utf8) + [0] + Data(file.text.utf8) + [0])
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    @Test func theRuleSetHashIsTheSHA256OfItsFilesInHex() throws {
        let ruleSet = try RuleSet.load(directory: shippedRules)
        #expect(ruleSet.sha256 == sha256(ruleSet.files))
        #expect(ruleSet.sha256.count == 64)
    }

    /// The shipped rules' hash is made at build time (sha256sum, by the EmbedFiles plugin); a rules
    /// directory that is those files byte for byte takes it without hashing.
    @Test func theHashMadeAtBuildTimeIsTheEmbeddedRulesSHA256() {
        let embedded = RuleSet.embedded
        #expect(RuleSet.isEmbeddedCopy(embedded.files))
        #expect(EmbeddedFiles.rulesSHA256 == sha256(embedded.files))
        #expect(embedded.sha256 == EmbeddedFiles.rulesSHA256)
    }

    @Test func aRulesDirectoryOneByteAwayFromTheEmbeddedCopyIsHashedAnew() throws {
        let dir = try copyOfRules()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/thresholds.lua"
        try (String(contentsOfFile: path, encoding: .utf8) + " ").write(toFile: path, atomically: true, encoding: .utf8)
        let changed = try RuleSet.load(directory: dir)
        #expect(!RuleSet.isEmbeddedCopy(changed.files))
        #expect(changed.sha256 == sha256(changed.files))
        #expect(changed.sha256 != EmbeddedFiles.rulesSHA256)
    }

    /// Swift's `==` holds canonically equivalent texts equal; their bytes, and so their hashes and
    /// their bytecode, differ. (The shipped rules hold no text with another canonical form, so the
    /// copy check is shown on files of its own.)
    @Test func textsEqualAsSwiftStringsButNotInBytesAreNotTheEmbeddedCopy() {
        #expect("caf\u{E9}" == "cafe\u{301}")
        #expect(!RuleSet.sameBytes("caf\u{E9}", "cafe\u{301}"))
        #expect(RuleSet.sameBytes("caf\u{E9}", "caf\u{E9}"))
        let composed = [RuleSet.File(relativePath: "a.lua", displayPath: "a.lua", text: "-- caf\u{E9}")]
        let decomposed = [RuleSet.File(relativePath: "a.lua", displayPath: "a.lua", text: "-- cafe\u{301}")]
        #expect(RuleSet.isCopy(composed, of: composed))
        #expect(!RuleSet.isCopy(decomposed, of: composed))
        var files = RuleSet.embedded.files
        files[0].text += "-- caf\u{E9}"
        var equivalent = RuleSet.embedded.files
        equivalent[0].text += "-- cafe\u{301}"
        let a = RuleSet(origin: "a", files: files)
        let b = RuleSet(origin: "b", files: equivalent)
        #expect(a.sha256 == sha256(a.files) && b.sha256 == sha256(b.files))
        #expect(a.sha256 != b.sha256)
    }
}
