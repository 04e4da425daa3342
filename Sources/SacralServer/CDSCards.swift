import Foundation
import SacralEngine

/// Builds CDS Hooks 2.0 cards from a decision document. Everything clinical on a card (statuses,
/// reasons, sources, alerts and their levels, order codes) comes from the decision and the rules;
/// this type only lays it out.
struct CDSCards {
    /// What the cards link to and how they are labelled.
    struct Context {
        var patientID: String?
        var hookInstance: String
        var reportURL: String?
        var rulesetName: String
        var rulesetVersion: String
        var rulesetSHA256: String
    }

    static let overrideSystem = "urn:sacral:override-reason"
    /// Why a clinician may set a card aside; recorded with the feedback for governance review.
    static let overrideReasons: [(String, String)] = [
        ("tumour-board", "Already decided by the tumour board"),
        ("patient-preference", "Patient preference"),
        ("record-outdated", "The record is outdated or wrong"),
        ("clinical-judgement", "Clinical judgement (see note)"),
    ]

    let decision: JSONValue
    let context: Context

    var statuses: [(String, String)] {
        (decision["pathways"]?.objectValue ?? []).compactMap { p in p.1["status"]?.stringValue.map { (p.0, $0) } }
    }

    var emergencyAlerts: [JSONValue] {
        (decision["alerts"]?.arrayValue ?? []).filter { $0["level"]?.stringValue == "emergency" }
    }

    static func label(_ pathway: String) -> String { spaced(pathway) }

    /// A pathway id or status in words (`_` as a space), byte by byte: Foundation's
    /// `replacingOccurrences` was a hundredth of a hook call for these few short words.
    static func spaced(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "_")) else { return text }
        return String(decoding: text.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// A summary within the spec's 140 characters, cut at a word with an ellipsis when longer.
    static func summary(_ text: String) -> String {
        if text.count < 140 { return text }
        var cut = String(text.prefix(138))
        if let space = cut.lastIndex(of: " ") { cut = String(cut[..<space]) }
        return cut + "…"
    }

    var source: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("label", .string("sacral \(context.rulesetName) \(context.rulesetVersion) (rules \(context.rulesetSHA256.prefix(12)))"))
        ]
        if let url = context.reportURL {
            fields.append(("url", .string(url.replacingOccurrences(of: "{hookInstance}", with: context.hookInstance))))
        }
        fields.append(
            (
                "topic",
                .object([
                    ("system", .string("urn:sacral:topic")), ("code", .string("sacral-metastasis-pathways")),
                    ("display", .string("Sacral metastasis treatment pathways")),
                ])
            ))
        return .object(fields)
    }

    var overrideReasonsJSON: JSONValue {
        .array(
            Self.overrideReasons.map {
                .object([("code", .string($0.0)), ("system", .string(Self.overrideSystem)), ("display", .string($0.1))])
            })
    }

    /// Markdown: each pathway's status, its deciding reasons with their inputs (and where each came
    /// from), sources, and the data still missing.
    func detail(pathways only: Set<String>? = nil) -> String {
        var out = ""
        for alert in decision["alerts"]?.arrayValue ?? [] {
            let level = alert["level"]?.stringValue ?? "info"
            out += "> **\(level.uppercased())**: \(alert["text"]?.stringValue ?? "")\n\n"
        }
        let provenance = decision["provenance"]
        for (pathway, body) in decision["pathways"]?.objectValue ?? [] where only?.contains(pathway) ?? true {
            let status = body["status"]?.stringValue ?? "?"
            var heading = "**\(Self.label(pathway))**: \(Self.spaced(status))"
            if let strength = body["strength"]?.stringValue { heading += " (\(strength))" }
            out += "### " + heading + "\n"
            for reason in body["reasons"]?.arrayValue ?? [] where reason["status"] != nil || reason["outcome"]?.stringValue == "error" {
                out += "- \(reason["text"]?.stringValue ?? "") — rule `\(reason["rule"]?.stringValue ?? "?")`"
                if let source = reason["source"]?.stringValue { out += "; source: \(source)" }
                out += "\n"
                for (input, value) in reason["inputs"]?.objectValue ?? [] {
                    out += "  - `\(input)` = \(value.serialized(pretty: false))"
                    if let origin = provenance?[input], let summary = Self.provenanceSummary(origin) { out += " (from \(summary))" }
                    out += "\n"
                }
            }
            let missing = (body["missing"]?.arrayValue ?? []).compactMap(Self.missingName)
            if !missing.isEmpty { out += "- Missing: " + missing.map { "`\($0)`" }.joined(separator: ", ") + "\n" }
            out += "\n"
        }
        let missing = (decision["missing"]?.arrayValue ?? []).compactMap(Self.missingName)
        if !missing.isEmpty && only == nil {
            out += "**Data needed to decide:** " + missing.map { "`\($0)`" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func missingName(_ value: JSONValue) -> String? {
        value.stringValue ?? value["field"]?.stringValue
    }

    static func provenanceSummary(_ origin: JSONValue) -> String? {
        if let s = origin.stringValue { return s }
        let parts = ["resource", "element", "date", "source"].compactMap { origin[$0]?.stringValue }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// The patient-view card: the pathway summary.
    func pathwayCard(suggestions: [JSONValue]) -> JSONValue {
        let recommended = statuses.filter { $0.1 == "recommended" }.map { Self.label($0.0) }
        let undetermined = statuses.filter { $0.1 == "undetermined" }.map { Self.label($0.0) }
        var text: String
        if let alert = emergencyAlerts.first {
            text = "EMERGENCY: " + (alert["text"]?.stringValue ?? "emergency alert")
        } else {
            text =
                "Sacral metastasis: "
                + (recommended.isEmpty ? "no pathway recommended" : recommended.joined(separator: ", ") + " recommended")
            if !undetermined.isEmpty { text += "; undetermined: " + undetermined.joined(separator: ", ") }
        }
        var card: [(String, JSONValue)] = [
            ("uuid", .string(UUID().uuidString.lowercased())),
            ("summary", .string(Self.summary(text))),
            ("indicator", .string(emergencyAlerts.isEmpty ? "info" : "critical")),
            ("detail", .string(detail())),
            ("source", source),
        ]
        if !suggestions.isEmpty {
            card.append(("suggestions", .array(suggestions)))
            card.append(("selectionBehavior", .string("any")))
        }
        card.append(("overrideReasons", overrideReasonsJSON))
        return .object(card)
    }

    /// The order-select/order-sign card for one draft order of `pathway`.
    func orderCard(pathway: String, orderReference: String, orderDisplay: String, suggestions: [JSONValue]) -> JSONValue {
        let body = decision["pathways"]?[pathway]
        let status = body?["status"]?.stringValue ?? "undetermined"
        let indicator: String
        let text: String
        switch status {
        case "contraindicated":
            indicator = "warning"
            text = "\(orderDisplay): \(Self.label(pathway)) is contraindicated (\(body?["strength"]?.stringValue ?? "see detail"))"
        case "undetermined":
            indicator = "warning"
            text = "\(orderDisplay): \(Self.label(pathway)) is undetermined; data missing"
        default:
            indicator = emergencyAlerts.isEmpty ? "info" : "critical"
            text = "\(orderDisplay): \(Self.label(pathway)) is \(Self.spaced(status))"
        }
        var card: [(String, JSONValue)] = [
            ("uuid", .string(UUID().uuidString.lowercased())),
            ("summary", .string(Self.summary(emergencyAlerts.isEmpty ? text : "EMERGENCY alert. " + text))),
            ("indicator", .string(indicator)),
            ("detail", .string(detail(pathways: [pathway]) + "\n_Order checked: \(orderReference)_\n")),
            ("source", source),
        ]
        if !suggestions.isEmpty {
            card.append(("suggestions", .array(suggestions)))
            card.append(("selectionBehavior", .string("at-most-one")))
        }
        card.append(("overrideReasons", overrideReasonsJSON))
        return .object(card)
    }

    /// A suggestion to create a draft ServiceRequest for a recommended pathway.
    static func createOrder(pathway: String, code: (system: String, code: String)?, patientID: String?) -> JSONValue {
        var resource: [(String, JSONValue)] = [
            ("resourceType", .string("ServiceRequest")), ("status", .string("draft")), ("intent", .string("proposal")),
        ]
        var concept: [(String, JSONValue)] = []
        if let code { concept.append(("coding", .array([.object([("system", .string(code.system)), ("code", .string(code.code))])]))) }
        concept.append(("text", .string(label(pathway))))
        resource.append(("code", .object(concept)))
        if let patientID { resource.append(("subject", .object([("reference", .string("Patient/\(patientID)"))]))) }
        return .object([
            ("label", .string("Order \(label(pathway))")),
            ("uuid", .string(UUID().uuidString.lowercased())),
            ("isRecommended", .bool(true)),
            (
                "actions",
                .array([
                    .object([
                        ("type", .string("create")), ("description", .string("Draft order: \(label(pathway))")),
                        ("resource", .object(resource)),
                    ])
                ])
            ),
        ])
    }

    /// A suggestion to delete a contraindicated draft order.
    static func deleteOrder(reference: String, pathway: String) -> JSONValue {
        .object([
            ("label", .string("Remove the \(label(pathway)) order")),
            ("uuid", .string(UUID().uuidString.lowercased())),
            ("isRecommended", .bool(true)),
            (
                "actions",
                .array([
                    .object([
                        ("type", .string("delete")), ("description", .string("Remove the draft order \(reference)")),
                        ("resourceId", .string(reference)),
                    ])
                ])
            ),
        ])
    }
}
