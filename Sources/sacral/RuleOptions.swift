import ArgumentParser
import Foundation
import SacralEngine

/// Options every command that runs rules shares.
struct RuleOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The rules directory (default: ./Rules when present, else the rules built into sacral).", valueName: "dir"))
    var rules: String?

    @Option(name: .long, help: "Instructions one rule call may run before it is stopped.")
    var maxInstructions: Int = EngineLimits().instructionsPerWindow

    @Option(name: .long, help: "Memory cap of the Lua state, in MiB.")
    var maxMemory: Int = EngineLimits().memoryBytes >> 20

    @Option(name: .long, help: "Instructions all rule calls of one case may run together (0: no such budget).")
    var maxCaseInstructions: Int = EngineLimits().instructionsPerCase

    @Option(name: .long, help: "CPU seconds the rules of one case may take (0: no such budget).")
    var maxCaseSeconds: Double = EngineLimits().secondsPerCase

    var limits: EngineLimits {
        EngineLimits(
            memoryBytes: max(1, maxMemory) << 20, instructionsPerWindow: max(1000, maxInstructions),
            instructionsPerCase: max(0, maxCaseInstructions), secondsPerCase: max(0, maxCaseSeconds))
    }

    /// Loads the rules, or exits with status 3 and the message (file and line). With
    /// `recordLines`, the engine records the lines of the rule files that run (coverage).
    func engine(recordLines: Bool = false) throws -> Engine {
        do {
            let ruleSet = try RuleSet.resolve(explicit: rules)
            return try Engine(ruleSet: ruleSet, limits: limits, recordLines: recordLines)
        } catch {
            Terminal.error("rules failed to load:\n\(error.message)")
            throw ExitCode(3)
        }
    }
}

/// Small helpers for writing to the terminal.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("sacral: " + message + "\n").utf8))
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Colour only on a terminal and never with NO_COLOR (https://no-color.org).
    static func useColor(_ choice: ColorChoice) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto:
            if let noColor = ProcessInfo.processInfo.environment["NO_COLOR"], !noColor.isEmpty { return false }
            return isatty(STDOUT_FILENO) != 0
        }
    }
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
