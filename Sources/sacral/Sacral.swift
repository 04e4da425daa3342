import ArgumentParser

/// The `sacral` command: decision support for painful sacral metastases.
struct Sacral: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sacral",
        abstract: "Evaluate sacral-metastasis case files with clinical rules written in Lua.",
        discussion: """
            Exit status: 0 when every case was evaluated and every rule ran; 2 when an input was bad \
            (unreadable, malformed, or failing the field dictionary); 3 when a rule failed or the \
            rules did not load. A rule failure outranks a bad input.
            """,
        version: "0.1.0",
        subcommands: [
            EvaluateCommand.self, TestCommand.self, CheckCommand.self, DiffCommand.self, RulesCommand.self,
            FHIRCommand.self, ReportCommand.self,
        ] + serverCommands,
        defaultSubcommand: EvaluateCommand.self)
}

/// The entry point. The server's commands run in Swift concurrency; without them (SACRAL_CORE_ONLY=1,
/// the build README's first command makes) `sacral` starts no concurrency runtime: a cold
/// `sacral evaluate` is a command of a few milliseconds, and starting the executors and the main
/// queue was a measurable part of it.
@main
enum Main {
    #if canImport(SacralServer)
        static func main() async { await Sacral.main() }
    #else
        static func main() { Sacral.main() }
    #endif
}

#if canImport(SacralServer)
    extension Sacral: AsyncParsableCommand {}

    /// The commands of the full build only (SACRAL_CORE_ONLY=1 leaves the server out).
    let serverCommands: [any ParsableCommand.Type] = [ServeCommand.self, ReplayCommand.self, LogCommand.self]
#else
    let serverCommands: [any ParsableCommand.Type] = []
#endif
