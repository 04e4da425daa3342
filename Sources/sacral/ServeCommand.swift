#if canImport(SacralServer)
    import ArgumentParser
    import Foundation
    import SacralEngine
    import SacralServer

    /// `sacral serve`: the CDS Hooks service and REST API (README, "Deployment").
    struct ServeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve CDS Hooks 2.0 and the REST API, with verified tokens and a decision log.",
            discussion: """
                The config file (JSON or YAML) names the trusted token issuers and their keys, the public \
                base URL every token's aud is checked against, CORS origins, the decision log and the \
                limits (README, "Config reference"). SIGHUP reloads the rules; SIGTERM stops after the \
                requests in flight are answered.
                """)

        @Option(name: .long, help: "Address to listen on.")
        var host = "127.0.0.1"

        @Option(name: .long, help: "Port to listen on.")
        var port = 8080

        @Option(name: .long, help: ArgumentHelp("The config file (JSON or YAML).", valueName: "file"))
        var config: String?

        @Option(name: .long, help: ArgumentHelp("The decision log, overriding the config: sqlite:PATH or postgres://…", valueName: "url"))
        var database: String?

        @Flag(name: .long, help: "Accept calls without tokens, for trying the service on a laptop (loopback only; warns on every call).")
        var insecureLocal = false

        @OptionGroup var ruleOptions: RuleOptions

        func validate() throws {
            if config == nil && !insecureLocal {
                throw ValidationError("give --config FILE (or --insecure-local to try it on this machine)")
            }
            if insecureLocal && !["127.0.0.1", "::1", "localhost"].contains(host) {
                throw ValidationError("--insecure-local listens on loopback only (--host 127.0.0.1)")
            }
        }

        func run() async throws {
            SacralServer.bootstrapLogging()
            var serverConfig = ServerConfig.insecureLocal(host: host, port: port)
            if let config {
                do {
                    serverConfig = try ServerConfig.load(path: config)
                } catch {
                    Terminal.error("config: \(error.message)")
                    throw ExitCode(2)
                }
            }
            let source: RulesHolder.Source
            if let rules = ruleOptions.rules {
                source = .directory(rules)
            } else if FileManager.default.fileExists(atPath: "Rules/ruleset.lua") {
                source = .directory("Rules")
            } else {
                source = .embedded
            }
            let options = SacralServer.Options(
                host: host, port: port, rules: source, limits: ruleOptions.limits,
                config: serverConfig, insecureLocal: insecureLocal, database: database)
            do {
                try await SacralServer(options: options).run()
            } catch let error as RuleSetError {
                Terminal.error("rules failed to load:\n\(error.message)")
                throw ExitCode(3)
            } catch let error as ServerConfigError {
                Terminal.error("config: \(error.message)")
                throw ExitCode(2)
            }
        }
    }
#endif
