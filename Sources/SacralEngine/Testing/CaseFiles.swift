import Foundation

/// Finds case files: a file is taken as given; a directory is searched recursively for .yaml,
/// .yml and .json files, in path order.
public enum CaseFiles {
    public static let extensions = ["yaml", "yml", "json"]

    public static func collect(_ paths: [String]) -> (files: [String], missing: [String]) {
        var files: [String] = []
        var missing: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                missing.append(path)
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            guard let walker = FileManager.default.enumerator(atPath: path) else { continue }
            var found: [String] = []
            for case let relative as String in walker {
                let name = (relative as NSString).lastPathComponent
                guard !name.hasPrefix("."), extensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
                found.append(base + "/" + relative)
            }
            files += found.sorted()
        }
        return (files, missing)
    }
}
