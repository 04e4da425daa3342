import Foundation

/// Writes `sacral test` results for people, for programs (JSON) and for CI systems (JUnit XML).
public struct TestReport {
    public var results: [CaseTestResult]
    public var coverage: [RuleCoverage]
    public var lines: [LineCoverage]

    public init(results: [CaseTestResult], coverage: [RuleCoverage], lines: [LineCoverage] = []) {
        self.results = results
        self.coverage = coverage
        self.lines = lines
    }

    public func count(_ status: CaseTestResult.Status) -> Int { results.filter { $0.status == status }.count }

    /// `N passed, N failed` (and skipped, bad input when there are any): the closing line.
    public var summaryLine: String {
        var line = "\(count(.passed)) passed, \(count(.failed)) failed"
        if count(.skipped) > 0 { line += ", \(count(.skipped)) skipped" }
        if count(.badInput) > 0 { line += ", \(count(.badInput)) bad input" }
        return line
    }

    /// Failures in full: the case, expected and actual values, and the reasons behind the actual
    /// value (rule ids and the inputs they read), so that the reader sees why.
    public func text(verbose: Bool) -> String {
        var out = ""
        for r in results {
            switch r.status {
            case .passed:
                if verbose { out += "PASS \(r.file)\n" }
            case .skipped:
                if verbose { out += "SKIP \(r.file) (no expect: block)\n" }
            case .badInput:
                out += "BAD  \(r.file)\n"
                for m in r.messages { out += "     \(m)\n" }
            case .failed:
                out += "FAIL \(r.file)" + (r.caseID.map { " (\($0))" } ?? "") + "\n"
                for m in r.messages { out += "     rule failure: \(m)\n" }
                for c in r.failedChecks {
                    out += "     \(c.failureText)\n"
                    if let pathway = c.pathway, let decided = r.decision?.pathway(pathway) {
                        out += "       because (\(pathway)):\n"
                        for reason in decided.reasons {
                            var tag = reason.status?.rawValue ?? reason.outcome.rawValue
                            if let s = reason.strength { tag += " \(s)" }
                            out += "         • \(reason.rule) [\(tag)]: \(reason.text ?? "")\n"
                            if !reason.inputs.isEmpty {
                                out +=
                                    "           inputs: " + reason.inputs.map { "\($0.key)=\($0.value.inlineText)" }.joined(separator: ", ")
                                    + "\n"
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Rule coverage: per rule, cases evaluated and fired; then the rules never evaluated or fired.
    public func coverageText() -> String {
        guard !coverage.isEmpty else { return "" }
        var out = "\nRule coverage (cases evaluated / fired):\n"
        let width = coverage.map(\.rule.id.count).max() ?? 10
        for c in coverage {
            out += "  " + c.rule.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(c.evaluated) / \(c.fired)\n"
        }
        let never = coverage.filter { $0.evaluated == 0 }
        let unfired = coverage.filter { $0.fired == 0 }
        if !never.isEmpty { out += "Rules never evaluated: " + never.map(\.rule.id).joined(separator: ", ") + "\n" }
        if !unfired.isEmpty {
            out += "Rules never fired: " + unfired.map { "\($0.rule.id) (\($0.rule.file):\($0.rule.line))" }.joined(separator: ", ") + "\n"
        }
        out += String(format: "Coverage: %.1f%% of %d rules fired at least once\n", firedPercent, coverage.count)
        if !lines.isEmpty {
            out += "\nLine coverage of the rule files (lines run / lines that can run):\n"
            let width = lines.map(\.file.count).max() ?? 10
            for l in lines {
                out += "  " + l.file.padding(toLength: width, withPad: " ", startingAt: 0)
                out += String(format: "  %4d / %4d  %5.1f%%", l.covered.count, l.executable.count, l.percent)
                if l.covered.count < l.executable.count { out += "  never run: \(l.missedRanges)" }
                out += "\n"
            }
            let total = lines.reduce(0) { $0 + $1.executable.count }
            let run = lines.reduce(0) { $0 + $1.covered.count }
            out += String(format: "Lines: %.1f%% of %d\n", total == 0 ? 100 : Double(run) * 100 / Double(total), total)
        }
        return out
    }

    public var firedPercent: Double {
        guard !coverage.isEmpty else { return 100 }
        return Double(coverage.filter { $0.fired > 0 }.count) * 100 / Double(coverage.count)
    }

    public func json() -> JSONValue {
        var doc: [(key: String, value: JSONValue)] = [
            (
                "summary",
                .object([
                    ("passed", .int(Int64(count(.passed)))), ("failed", .int(Int64(count(.failed)))),
                    ("skipped", .int(Int64(count(.skipped)))), ("bad_input", .int(Int64(count(.badInput)))),
                ])
            ),
            (
                "results",
                .array(
                    results.map { r in
                        var fields: [(key: String, value: JSONValue)] = [("file", .string(r.file))]
                        if let id = r.caseID { fields.append(("case", .string(id))) }
                        fields.append(("status", .string(r.status.rawValue)))
                        fields.append(
                            (
                                "checks",
                                .array(
                                    r.checks.map { c in
                                        var check: [(key: String, value: JSONValue)] = [
                                            ("key", .string(c.key)), ("expected", .string(c.expected)), ("actual", .string(c.actual)),
                                            ("passed", .bool(c.passed)),
                                        ]
                                        if let problem = c.problem { check.append(("problem", .string(problem))) }
                                        return .object(check)
                                    })
                            ))
                        if !r.messages.isEmpty { fields.append(("messages", .array(r.messages.map(JSONValue.string)))) }
                        return .object(fields)
                    })
            ),
        ]
        if !coverage.isEmpty {
            doc.append(
                (
                    "coverage",
                    .object([
                        ("fired_percent", .double((firedPercent * 10).rounded() / 10)),
                        (
                            "lines",
                            .array(
                                lines.map { l in
                                    .object([
                                        ("file", .string(l.file)), ("executable", .int(Int64(l.executable.count))),
                                        ("covered", .int(Int64(l.covered.count))),
                                        ("never_run", .array(l.executable.subtracting(l.covered).sorted().map { .int(Int64($0)) })),
                                    ])
                                })
                        ),
                        (
                            "rules",
                            .array(
                                coverage.map { c in
                                    .object([
                                        ("rule", .string(c.rule.id)), ("evaluated", .int(Int64(c.evaluated))),
                                        ("fired", .int(Int64(c.fired))),
                                    ])
                                })
                        ),
                    ])
                ))
        }
        return .object(doc)
    }

    /// JUnit XML: one testcase per case file; a failure element for failed checks or rule
    /// failures, an error element for bad input, skipped for files without `expect:`.
    public func junit(suiteName: String = "sacral") -> String {
        let total = results.reduce(0) { $0 + $1.seconds }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml +=
            "<testsuites name=\"\(escape(suiteName))\" tests=\"\(results.count)\" failures=\"\(count(.failed))\" errors=\"\(count(.badInput))\" skipped=\"\(count(.skipped))\" time=\"\(String(format: "%.3f", total))\">\n"
        xml +=
            "  <testsuite name=\"\(escape(suiteName))\" tests=\"\(results.count)\" failures=\"\(count(.failed))\" errors=\"\(count(.badInput))\" skipped=\"\(count(.skipped))\" time=\"\(String(format: "%.3f", total))\">\n"
        for r in results {
            let classname = (r.file as NSString).deletingLastPathComponent
            let name = r.caseID ?? (r.file as NSString).lastPathComponent
            xml +=
                "    <testcase classname=\"\(escape(classname))\" name=\"\(escape(name))\" file=\"\(escape(r.file))\" time=\"\(String(format: "%.4f", r.seconds))\""
            switch r.status {
            case .passed:
                xml += "/>\n"
            case .skipped:
                xml += ">\n      <skipped message=\"no expect: block\"/>\n    </testcase>\n"
            case .badInput:
                xml +=
                    ">\n      <error message=\"\(escape(r.messages.first ?? "bad input"))\">\(escape(r.messages.joined(separator: "\n")))</error>\n    </testcase>\n"
            case .failed:
                let lines = r.messages.map { "rule failure: \($0)" } + r.failedChecks.map(\.failureText)
                xml +=
                    ">\n      <failure message=\"\(escape(lines.first ?? "failed"))\">\(escape(lines.joined(separator: "\n")))</failure>\n    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    private func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { out += "?" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
