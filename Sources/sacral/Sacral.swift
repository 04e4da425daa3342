import ArgumentParser

/// The `sacral` command: decision support for painful sacral metastases.
@main
struct Sacral: AsyncParsableCommand {
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

/// The commands of the full build only (SACRAL_CORE_ONLY=1 leaves the server out).
#if canImport(SacralServer)
    let serverCommands: [any ParsableCommand.Type] = [ServeCommand.self, ReplayCommand.self, LogCommand.self]
#else
    let serverCommands: [any ParsableCommand.Type] = []
#endif
