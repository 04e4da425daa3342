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

    @Test func theRuleSetHashIsTheSHA256OfItsFilesInHex() throws {
        let ruleSet = try RuleSet.load(directory: shippedRules)
        var hasher = SHA256()
        for file in ruleSet.files {
            hasher.update(data: Data(file.relativePath.utf8) + [0] + Data(file.text.utf8) + [0])
        }
        let expected = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        #expect(ruleSet.sha256 == expected)
        #expect(ruleSet.sha256.count == 64)
    }
}
