import ArgumentParser

/// The `sacral` command: decision support for painful sacral metastases.
@main
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
        ],
        defaultSubcommand: EvaluateCommand.self)
}
