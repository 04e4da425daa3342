#if canImport(SacralServer)
    import ArgumentParser
    import Foundation
    import Logging
    import SacralEngine
    import SacralServer

    /// `sacral log`: reads the decision log of `sacral serve`.
    struct LogCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log",
            abstract: "Read the decision log of sacral serve.",
            subcommands: [ExportCommand.self])

        /// `sacral log export`: every decision (or feedback) as JSON Lines, oldest first.
        struct ExportCommand: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "export",
                abstract: "Write every logged decision as JSON Lines (one object per decision, oldest first).",
                discussion: """
                    Each line holds the record as stored: request id, time, origin, ruleset SHA-256, engine \
                    version, replica, the keyed hash of the patient identifier (never the identifier), the \
                    case as evaluated and the decision, both as the exact JSON text. --feedback writes the \
                    card feedback instead.
                    """)

            @Option(name: .long, help: ArgumentHelp("The log: sqlite:PATH or postgres://…", valueName: "url"))
            var database: String

            @Flag(name: .long, help: "Export card feedback instead of decisions.")
            var feedback = false

            func run() async throws {
                let log = try await LogAccess.open(database)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                do {
                    if feedback {
                        for row in try await log.feedback() {
                            Terminal.write(String(decoding: try encoder.encode(row), as: UTF8.self) + "\n")
                        }
                    } else {
                        for row in try await log.decisions() {
                            Terminal.write(String(decoding: try encoder.encode(row), as: UTF8.self) + "\n")
                        }
                    }
                } catch {
                    await log.close()
                    Terminal.error("\(database): the log could not be read: \(error)")
                    throw ExitCode(2)
                }
                await log.close()
            }
        }
    }

    /// Opening the log from the command line (relative SQLite paths are relative to the current folder).
    enum LogAccess {
        static func open(_ url: String) async throws -> DecisionLog {
            do {
                let kind = try DecisionLog.kind(of: url, directory: FileManager.default.currentDirectoryPath)
                if case .sqlite(let path) = kind, !FileManager.default.fileExists(atPath: path) {
                    Terminal.error("\(path): no such decision log")
                    throw ExitCode(2)
                }
                return try await DecisionLog.open(kind, logger: Logger(label: "sacral.log", factory: { _ in SwiftLogNoOpLogHandler() }))
            } catch let error as ExitCode {
                throw error
            } catch {
                Terminal.error("\(url): the log could not be opened: \(error)")
                throw ExitCode(2)
            }
        }
    }
#endif
