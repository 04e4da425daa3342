import Foundation
import PackagePlugin

/// Embeds the shipped `Rules/` and the engine's Lua runtime into the binary as Swift source, so that
/// `sacral` evaluates with its default rules from any directory, even when the binary is copied alone.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let packageDir = context.package.directoryURL
        let rulesDir = packageDir.appending(path: "Rules")
        let runtimeDir = target.directoryURL.appending(path: "Runtime")
        // The tumour-board page's assets (HTML, CSS, JS), served and inlined into reports.
        let pageDir = target.directoryURL.appending(path: "Page")
        let inputs = files(under: rulesDir) + files(under: runtimeDir) + files(under: pageDir)
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding Rules/, the Lua runtime and the page",
                executable: try context.tool(named: "embed-files").url,
                arguments: [output.path, packageDir.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }

    private func files(under dir: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        var found: [URL] = []
        for case let url as URL in walker {
            let isFile = (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) ?? false
            if isFile && !url.lastPathComponent.hasPrefix(".") { found.append(url) }
        }
        return found.sorted { $0.path < $1.path }
    }
}
