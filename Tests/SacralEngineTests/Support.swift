import Foundation
import LuaKit

@testable import SacralEngine

/// The repository root (tests run from anywhere).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let shippedRules = repositoryRoot + "/Rules"

/// How large the slow batch and property tests run: `n` scaled by SACRAL_TEST_SCALE (default 1;
/// scripts/test.sh sets it small), never below `minimum`.
func scaled(_ n: Int, minimum: Int) -> Int {
    let scale = ProcessInfo.processInfo.environment["SACRAL_TEST_SCALE"].flatMap(Double.init) ?? 1
    return max(minimum, Int((Double(n) * scale).rounded()))
}

/// An engine over the shipped rules (or a copy).
func makeEngine(rules: String = shippedRules, limits: EngineLimits = EngineLimits()) throws -> Engine {
    try Engine(ruleSet: RuleSet.load(directory: rules), limits: stretchedUnderSanitizer(limits))
}

/// The shipped wall-time backstop (seconds per case), stretched under AddressSanitizer. ASan runs
/// several times slower, and on a loaded machine a hostile rule could reach the seconds before the
/// instruction counts the tests pin: the test would then read the machine's speed, not the engine.
/// A budget a test sets itself is kept.
func stretchedUnderSanitizer(_ limits: EngineLimits) -> EngineLimits {
    guard ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil,
        limits.secondsPerCase == EngineLimits().secondsPerCase
    else { return limits }
    var stretched = limits
    stretched.secondsPerCase *= 12
    return stretched
}

/// The one directory this test process writes its temporary files in, removed when the process
/// exits: the copies of Rules/, written cases and captured outputs of thousands of tests would
/// otherwise stay in the system's temporary directory, run after run.
private let scratchRoot = FileManager.default.temporaryDirectory
    .appendingPathComponent("sacral-tests-\(ProcessInfo.processInfo.processIdentifier)").path

private let scratchReady: Bool = {
    // A directory of this name was left by an earlier process with the same id that crashed.
    try? FileManager.default.removeItem(atPath: scratchRoot)
    do {
        try FileManager.default.createDirectory(atPath: scratchRoot, withIntermediateDirectories: true)
    } catch {
        fatalError("cannot create the tests' scratch directory \(scratchRoot): \(error)")
    }
    atexit { try? FileManager.default.removeItem(atPath: scratchRoot) }
    return true
}()

/// A new path in the tests' scratch directory, `prefix-UUID` with the extension if any; nothing is
/// created there.
func scratchPath(_ prefix: String, ext: String? = nil) -> String {
    precondition(scratchReady)
    return scratchRoot + "/\(prefix)-\(UUID().uuidString)" + (ext.map { ".\($0)" } ?? "")
}

/// A temporary copy of the shipped Rules/ that a test may change.
func copyOfRules() throws -> String {
    let dir = scratchPath("rules")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let target = dir + "/Rules"
    try FileManager.default.copyItem(atPath: shippedRules, toPath: target)
    return target
}

/// Writes text to a temporary file with the given extension and returns its path.
func temporaryFile(_ text: String, ext: String = "yaml") throws -> String {
    let path = scratchPath("case", ext: ext)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A complete, valid case (a Tian 2022-like patient); `replacing` swaps lines by their key.
func caseYAML(id: String = "test-case", _ overrides: [String: String] = [:]) -> String {
    var sections: [(String, String)] = [
        ("id", "id: \(id)"),
        (
            "patient",
            "patient: { age: 62, sex: female, karnofsky: 70, fit_for_surgery: false, accepts_surgery: false, life_expectancy_months: 12 }"
        ),
        ("labs", "labs: { inr: 1.1, platelets: 210, coagulopathy_correctable: true }"),
        (
            "comorbidities",
            "comorbidities: { systemic_infection: false, local_infection: false, pmma_allergy: false, severe_cardiopulmonary_disease: false }"
        ),
        (
            "cancer",
            "cancer: { primary: breast, tissue_diagnosis: primary_confirmed, direct_extension: false, visceral_metastases: none, extraspinal_bone_metastases: 1, vertebral_metastases: 1, systemic_therapy: ongoing }"
        ),
        (
            "lesions",
            """
            lesions:
              - { id: S2a, levels: [S2], zones: [1], side: left, diameter_cm: 2.5, bone_lesion: lytic, fracture: none, collapse: none, alignment: normal, posterolateral: none, epidural: "0", foraminal_erosion: false, ilium: none, irradiated: true, pelvic_instability: false }
            """
        ),
        (
            "symptoms",
            "symptoms: { pain_vas: 8, pain_type: mechanical, neurologic: intact, bowel_bladder: normal, cannot_walk_or_sit: true, conservative_care: refractory }"
        ),
        (
            "history",
            "history: { radiation: completed, radiation_response: persistent_pain, radiation_dose_gy: 30, sacral_surgery: false, cement_augmentation: false }"
        ),
    ]
    for (key, line) in overrides {
        if let i = sections.firstIndex(where: { $0.0 == key }) { sections[i].1 = line } else { sections.append((key, line)) }
    }
    return sections.map(\.1).joined(separator: "\n") + "\n"
}
