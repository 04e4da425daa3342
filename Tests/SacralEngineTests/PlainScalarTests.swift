import Foundation
import Testing
import Yams

@testable import SacralEngine

/// `PlainScalar` reads untagged plain scalars without Yams' regular expressions; these tests hold
/// it to Yams' own default resolver, so that a case file means the same whichever reads it.
struct PlainScalarTests {
    /// Yams' default resolution of a plain scalar: the first of its rules whose pattern matches,
    /// with the same `NSRegularExpression` it uses (merge, timestamp and value read as text in a case).
    static let rules: [(Yams.Tag.Name, NSRegularExpression)] = Resolver.default.rules.map {
        ($0.tag, try! NSRegularExpression(pattern: $0.pattern, options: []))
    }

    static func yamsKind(of text: String) -> PlainScalar.Kind {
        let range = NSRange(location: 0, length: text.utf16.count)
        for (tag, regex) in rules where regex.firstMatch(in: text, options: [], range: range) != nil {
            switch tag {
            case .bool: return .bool
            case .int: return .int
            case .float: return .float
            case .null: return .null
            default: return .string
            }
        }
        return .string
    }

    /// Text near every branch of the patterns: signs, bases, underscores, exponents, base-60 groups,
    /// the special floats and the YAML 1.1 booleans, each also with a character too many or too few.
    static let edgeCases: [String] = {
        let seeds = [
            "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "no", "NO", "on", "ON", "off", "Off", "true",
            "False", "FALSE", "y", "n", "0", "-0", "+0", "00", "07", "08", "0_", "0o", "0o7", "0o8", "+0o17", "0b", "0b101",
            "0b2", "-0b1_0", "0x", "0x1F", "0xg", "0X1F", "-0xff_ff", "1", "12", "1_000", "-1_000", "_1", "1:30", "1:60",
            "1:5", "190:20:30", "1:30:", "1::30", "0:30", "1:30.5", "1:30.", "1:30.5_", "1:300.5", "1.", "1.5", "-1.5",
            "+1.5", "1.5e3", "1.5E-3", "1e5", "1e", "1e+", "1.e5", ".5", "-.5", "+.5", ".5e3", ".5e+3", "._", ".", "-.", "..5",
            ".inf", "-.inf", "+.Inf", ".INF", ".iNf", ".nan", ".NaN", "-.nan", "+.NAN", "1.5.5", "1_.5_", "1__", "<<", "=",
            "2001-12-14", "2001-12-14t21:59:43.10-05:00", "12:30:45", "1 2", " 1", "1 ", "١٢", "１２", "1\u{0301}", "½",
            "0x1F\u{2028}", "5\u{85}", "5\n", "5\r\n", "5\r", "5\u{0B}", "5\u{0C}", "5\u{2029}", "yes\n", "~\r\n", "\n", "5\n\n",
            "5\u{2028}\n", "\u{2028}", "1.5\u{2029}", "5\u{A8}", "5\u{A9}", "5\u{2C85}", "5\u{1085}",
        ]
        var out = seeds
        for s in seeds {
            for extra in ["_", "0", "9", ".", ":", "e", "+"] { out.append(s + extra) }
            if !s.isEmpty { out.append(String(s.dropLast())) }
        }
        return out
    }()

    @Test func everyEdgeCaseReadsAsYamsDefaultResolverReadsIt() {
        for text in Self.edgeCases {
            #expect(PlainScalar.kind(of: text) == Self.yamsKind(of: text), "\(text.debugDescription)")
        }
    }

    @Test func randomTextOverThePatternsAlphabetReadsAsYamsDefaultResolverReadsIt() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789_+-.:eEoOxXbBaAfFinINtTrRuUlLsSyYnN~ \n\r\u{85}\u{2028}\u{0B}\u{A8}\u{2C85}")
        let n = scaled(200_000, minimum: 20_000)
        var disagreements: [String] = []
        for _ in 0..<n {
            let length = Int.random(in: 0...9, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            if PlainScalar.kind(of: text) != Self.yamsKind(of: text) { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "first disagreements: \(disagreements.prefix(10).map(\.debugDescription))")
    }

    /// A comment with "!" makes the decoder take Yams' own resolver; both readings of every YAML
    /// case of the corpus, and of a document with a value of each kind, must be the same values.
    @Test func aCaseFileDecodesTheSameWithOrWithoutYamsResolver() throws {
        let decoder = CaseDecoder()
        var files: [String] = []
        let walker = FileManager.default.enumerator(atPath: repositoryRoot + "/Cases")
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { files.append(repositoryRoot + "/Cases/" + path) }
        }
        #expect(files.count > 50)
        var texts = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
        texts.append(
            Self.edgeCases.enumerated().filter { !$0.element.contains(":") && $0.element.allSatisfy { $0.isASCII && !$0.isNewline } }
                .map { "k\($0.offset): \($0.element)" }.joined(separator: "\n") + "\n")
        for (i, text) in texts.enumerated() {
            #expect(!text.contains("!"))
            let name = i < files.count ? files[i] : "edge cases"
            let fast = Result { () throws(CaseReadError) in try decoder.decode(Data(text.utf8), format: .yaml, file: "f") }
            let yams = Result { () throws(CaseReadError) in try decoder.decode(Data((text + "\n# !\n").utf8), format: .yaml, file: "f") }
            switch (fast, yams) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(name)")
            case (.failure(let a), .failure(let b)): #expect(a.message == b.message, "\(name)")
            default: Issue.record("\(name): \(fast) against \(yams)")
            }
        }
    }

    /// The two readings in one document: a value that looks like a number but is tagged text stays
    /// text, as it always did; the same value untagged is a number.
    @Test func anExplicitTagStillDecides() throws {
        let decoder = CaseDecoder()
        let value = try decoder.decode(Data("a: !!str 5\nb: 5\nc: yes\nd: 0x1F\ne: ~\n".utf8), format: .yaml, file: "f")
        #expect(value == .object([("a", .string("5")), ("b", .int(5)), ("c", .bool(true)), ("d", .int(31)), ("e", .null)]))
        let untagged = try decoder.decode(Data("b: 5\nc: yes\nd: 0x1F\ne: ~\nf: 1.5\ng: .inf\nh: text\n".utf8), format: .yaml, file: "f")
        #expect(
            untagged
                == .object([
                    ("b", .int(5)), ("c", .bool(true)), ("d", .int(31)), ("e", .null), ("f", .double(1.5)), ("g", .double(.infinity)),
                    ("h", .string("text")),
                ]))
    }
}
