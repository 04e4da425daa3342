import Foundation
import SacralEngine

// Arbitrary bytes through everything a case file goes through: decoding (JSON when the input starts
// with "{", else YAML), validation against the field dictionary, and evaluation with the shipped
// rules. Any crash, hang or sanitizer report is a bug; an error result is fine. After a
// successful evaluation, the invariants of the output are checked too (a failed check traps).

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

// Top-level code runs in order: the engine global must exist before the driver starts.
nonisolated(unsafe) var engine: Engine? = nil

func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let bytes else { return 0 }
    guard let engine else { return 0 }
    let data = Data(bytes: bytes, count: size)
    let format: CaseDecoder.Format = data.first == UInt8(ascii: "{") ? .json : .yaml
    let validated: ValidatedCase
    do {
        let value = try CaseDecoder().decode(data, format: format, file: "fuzz")
        validated = try engine.validator.validate(value, file: "fuzz")
    } catch {
        return 0  // refused input is a correct outcome; only crashes and broken invariants are bugs
    }
    let decision = engine.evaluate(validated)
    for pathway in engine.catalog.pathways {
        // The decision model holds only the contract's statuses; every pathway must have one.
        guard let status = decision.status(of: pathway) else {
            fatalError("pathway \(pathway) has no status")
        }
        // Fail closed: a rule that failed never leaves its pathway recommended.
        if status == .recommended && decision.failures.contains(where: { $0.pathways.contains(pathway) }) {
            fatalError("pathway \(pathway) recommended although a rule of it failed")
        }
    }
    _ = decision.document.serialized()
    return 0
}

// The engine is built once, before libFuzzer starts counting allocations per input.
engine = try! Engine(ruleSet: RuleSet.embedded)

// libFuzzer's own driver, started from this executable's entry point.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, { bytes, size in fuzzOneInput(bytes, size) }))
