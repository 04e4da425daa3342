import Foundation

/// The debug build of the command line, beside the tests (`swift build --build-tests` makes it).
let sacralBinary = repositoryRoot + "/.build/debug/sacral"
let sacralBinaryExists = FileManager.default.isExecutableFile(atPath: sacralBinary)

/// What one run of the command line left behind.
struct CLIRun {
    var status: Int32
    /// Standard output, kept in a file (a batch writes hundreds of megabytes).
    var stdoutPath: String
    var stderr: String

    var stdout: Data { FileManager.default.contents(atPath: stdoutPath) ?? Data() }
}

/// Runs `sacral` with the arguments; standard output goes to a file in the tests' scratch
/// directory. `environment` adds to (or replaces in) the test process's environment.
func runSacral(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> CLIRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: sacralBinary)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = scratchPath("out")
    let err = scratchPath("err")
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
    let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
    defer {
        try? outHandle.close()
        try? errHandle.close()
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let stderr = String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self)
    try? FileManager.default.removeItem(atPath: err)
    return CLIRun(status: process.terminationStatus, stdoutPath: out, stderr: stderr)
}
