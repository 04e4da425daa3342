import Foundation
import LuaKit
import Testing

@testable import SacralEngine

/// The runtime and the shipped rules start from bytecode compiled at build time; that changes the
/// time to start, never a decision, and never lets bytes other than the host's own be loaded.
@Suite struct PrecompiledTests {
    @Test func everyRuntimeModuleAndShippedRuleFileHasBytecode() {
        let names = Set(EmbeddedFiles.precompiled.map(\.chunkName))
        for module in RuleSet.runtimeModules {
            #expect(names.contains(LuaState.trustedChunkPrefix + module.name), "no bytecode for runtime module \(module.name)")
        }
        let ruleFiles = RuleSet.embedded.luaFiles
        #expect(!ruleFiles.isEmpty)
        for file in ruleFiles { #expect(names.contains("@" + file.displayPath), "no bytecode for \(file.displayPath)") }
    }

    @Test func bytecodeAndTextGiveTheSameDecisions() throws {
        // The embedded rules load from bytecode; the same files elsewhere (another chunk name) from text.
        let fromBytecode = try Engine(ruleSet: RuleSet.embedded)
        let fromText = try makeEngine(rules: try copyOfRules())
        #expect(fromBytecode.catalog.rules.map(\.id) == fromText.catalog.rules.map(\.id))
        let files = CaseFiles.collect([repositoryRoot + "/Cases"]).files
        #expect(files.count >= 8)
        for file in files {
            let a = fromBytecode.evaluate(try fromBytecode.load(path: file)).document.serialized()
            let b = fromText.evaluate(try fromText.load(path: file)).document.serialized()
            #expect(a == b, "\(file) decided differently from bytecode and from text")
        }
    }

    @Test func aChangedTextIsCompiledFromItsTextNotFromTheBytecode() throws {
        let state = try LuaState(limits: LuaLimits())
        let name = try #require(EmbeddedFiles.precompiled.first { $0.chunkName.hasPrefix("@Rules/") }).chunkName
        // Same chunk name, other text: the text decides (here, a syntax error with its line).
        #expect(throws: LuaError.self) { try Precompiled.compile("rule {", chunkName: name, in: state) }
        let shipped = try #require(EmbeddedFiles.all.first { "@" + $0.path == name }).text
        _ = try Precompiled.compile(shipped, chunkName: name, in: state)
    }

    @Test func theHostLoadsOnlyBinaryChunksThroughLoadPrecompiled() throws {
        let state = try LuaState(limits: LuaLimits())
        #expect(state.loadPrecompiled(Array("return 1".utf8), chunkName: "=text") == nil)
        #expect(state.loadPrecompiled(Array("\u{1B}LuaT\0garbage".utf8), chunkName: "=bad") == nil)
    }

    @Test func literalBytesRoundTrip() {
        #expect(Precompiled.bytes("a\u{0}\u{7F}\u{80}\u{FF}\"") == [0x61, 0, 0x7F, 0x80, 0xFF, 0x22])
        #expect(Precompiled.bytes("") == [])
    }

    /// Literals as embed-files writes them (one scalar per byte), with runs of low bytes of every
    /// length around the eight a word holds, at every offset: the bytes come back.
    @Test func literalsOfAnyMixOfLowAndHighBytesRoundTrip() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<scaled(5_000, minimum: 1_000) {
            let length = Int.random(in: 0...40, using: &generator)
            let highShare = Double.random(in: 0...1, using: &generator)
            let bytes: [UInt8] = (0..<length).map { _ in
                Double.random(in: 0..<1, using: &generator) < highShare
                    ? UInt8.random(in: 0x80...0xFF, using: &generator) : UInt8.random(in: 0...0x7F, using: &generator)
            }
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
            #expect(Precompiled.bytes(String(scalars)) == bytes, "\(bytes)")
        }
    }
}
