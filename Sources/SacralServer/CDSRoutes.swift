import Crypto
import Foundation
import Hummingbird
import SacralEngine

/// CDS Hooks 2.0: discovery, the two services, and feedback.
struct CDSRoutes {
    let state: ServiceState
    let decisions: DecisionService

    func add(to router: Router<BasicRequestContext>) {
        router.get("/cds-services") { request, context in
            _ = try await state.authorize(request, context: context)
            let pool = state.rules.pool
            return Response.json(discovery(mapping: pool.fhirMapping), ruleset: pool.ruleSet.sha256)
        }
        router.post("/cds-services/:id") { request, context in
            let id = try serviceID(context)
            _ = try await state.authorize(request, context: context)
            return try await call(service: id, request: request, context: context)
        }
        router.post("/cds-services/:id/feedback") { request, context in
            let id = try serviceID(context)
            _ = try await state.authorize(request, context: context)
            return try await feedback(service: id, request: request)
        }
    }

    func serviceID(_ context: BasicRequestContext) throws(APIError) -> String {
        guard let id = context.parameters.get("id"), CDSServices.ids.contains(id) else {
            throw APIError(.notFound, code: "not-found", "no such CDS service")
        }
        return id
    }

    // MARK: Discovery

    func discovery(mapping: FHIRMapping?) -> JSONValue {
        let prefetch: JSONValue = .object((mapping?.queries ?? []).map { ($0.key, .string($0.template)) })
        func service(_ hook: String, _ id: String, _ title: String, _ description: String) -> JSONValue {
            .object([
                ("hook", .string(hook)), ("id", .string(id)), ("title", .string(title)), ("description", .string(description)),
                ("prefetch", prefetch),
                (
                    "usageRequirements",
                    .string(
                        "Needs read access to the patient's Patient, Observation, Condition, AllergyIntolerance, Procedure and QuestionnaireResponse resources."
                    )
                ),
            ])
        }
        return .object([
            (
                "services",
                .array([
                    service(
                        "patient-view", CDSServices.pathways, "Sacral metastasis pathways",
                        "For a patient with a sacral metastasis: the status of every treatment pathway, the reasons and sources that decide it, and the data missing."
                    ),
                    service(
                        "order-select", CDSServices.orderCheck, "Sacral metastasis order check",
                        "Checks a selected order for sacroplasty, RFA, radiation, decompression or fixation against the pathway decision."),
                    service(
                        "order-sign", CDSServices.orderCheck, "Sacral metastasis order check",
                        "Checks draft orders for sacroplasty, RFA, radiation, decompression or fixation against the pathway decision before signing."
                    ),
                ])
            )
        ])
    }

    // MARK: Calls

    func call(service: String, request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await state.body(request)
        guard let call = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw APIError.badRequest("the body must be a CDS Hooks request (a JSON object)")
        }
        guard let hook = call["hook"] as? String else { throw APIError.badRequest("hook: required") }
        guard CDSServices.hooks[service]?.contains(hook) == true else {
            throw APIError.badRequest("hook: this service answers \(CDSServices.hooks[service]!.joined(separator: ", ")), not \(hook)")
        }
        guard let hookInstance = call["hookInstance"] as? String, (1...128).contains(hookInstance.count) else {
            throw APIError.badRequest("hookInstance: required (a UUID)")
        }
        guard let hookContext = call["context"] as? [String: Any] else { throw APIError.badRequest("context: required (an object)") }
        guard let patientID = hookContext["patientId"] as? String, !patientID.isEmpty else {
            throw APIError.badRequest("context.patientId: required")
        }
        let fhirServer = call["fhirServer"] as? String
        let authorization = call["fhirAuthorization"] as? [String: Any]
        if authorization != nil && fhirServer == nil { throw APIError.badRequest("fhirServer: required with fhirAuthorization") }
        if let prefetch = call["prefetch"], !(prefetch is [String: Any]) && !(prefetch is NSNull) {
            throw APIError.badRequest("prefetch: expected an object")
        }
        let pool = state.rules.pool
        guard let mapping = pool.fhirMapping else {
            throw APIError(.serviceUnavailable, code: "not-supported", "the rules have no FHIR mapping (Rules/fhir.lua)")
        }

        // Prefetch: a key present (even null) is used as given; a missing one is fetched, or 412.
        let prefetch = call["prefetch"] as? [String: Any] ?? [:]
        var documents: [(source: String, object: Any)] = []
        let fetcher = FHIRFetcher(allowed: state.config.fhirServers, timeout: .milliseconds(state.config.limits.fetchTimeoutMilliseconds))
        for query in pool.fhirQueries {
            if let given = prefetch[query.key], !Self.isOperationOutcome(given) {
                if !Self.isNull(given) { documents.append((query.key, given)) }
                continue
            }
            guard let fhirServer, let authorization, let token = authorization["access_token"] as? String,
                (authorization["token_type"] as? String)?.lowercased() == "bearer"
            else {
                throw APIError(
                    .preconditionFailed, code: "incomplete",
                    "prefetch \(query.key) is missing and no FHIR server with a bearer token was given to fetch it")
            }
            guard fetcher.allows(fhirServer) else {
                throw APIError(
                    .preconditionFailed, code: "incomplete",
                    "prefetch \(query.key) is missing and the fhirServer is not on this service's allow-list")
            }
            let path = Self.fill(query.template, context: hookContext)
            documents.append((query.key, try await fetcher.fetch(server: fhirServer, query: path, token: token)))
        }

        let pseudonyms = PatientPseudonyms(hasher: state.hasher, caseIDSystem: mapping.caseIDSystem)
        let resources = FHIRReader.resources(ofDocuments: pseudonyms.apply(documents, patientID: patientID))
        // The pathway card is for the chart of a patient with a sacral metastasis (Rules/fhir.lua,
        // scope): any other chart gets no card, and nothing is evaluated or logged for it.
        if hook == "patient-view" && !mapping.isInScope(resources) {
            state.metrics.outOfScope(service: service)
            return Response.json(.object([("cards", .array([]))]), ruleset: pool.ruleSet.sha256)
        }
        let alias = pseudonyms.pseudonym(for: patientID)
        let date = Self.today()
        let evaluation = try await decisions.decide(context: context) { engine in
            CaseEvaluator.evaluateFHIR(resources: resources, mapping: mapping, evaluationDate: date, fallbackID: alias, engine: engine)
        }
        let cardContext = CDSCards.Context(
            patientID: patientID, hookInstance: hookInstance, reportURL: state.config.reportURL,
            rulesetName: pool.catalog.name, rulesetVersion: pool.catalog.version, rulesetSHA256: evaluation.rulesetSHA256)
        let builder = CDSCards(decision: evaluation.document, context: cardContext)
        let cards: [JSONValue]
        if hook == "patient-view" {
            let suggestions = builder.statuses.filter { $0.1 == "recommended" }.compactMap { pathway, _ -> JSONValue? in
                guard let code = mapping.orderCodes[pathway]?.first else { return nil }
                return CDSCards.createOrder(pathway: pathway, code: (code.system, code.code), patientID: patientID)
            }
            cards = [builder.pathwayCard(suggestions: suggestions)]
        } else {
            cards = orderCards(hook: hook, context: hookContext, mapping: mapping, builder: builder)
        }
        let uuids = cards.compactMap { $0["uuid"]?.stringValue }
        try await decisions.record(
            id: UUID().uuidString.lowercased(), evaluation, origin: hook, service: service, requestID: hookInstance,
            patientID: patientID, cards: uuids, context: context)
        return Response.json(.object([("cards", .array(cards))]), ruleset: evaluation.rulesetSHA256)
    }

    /// One card per draft order (the selected ones for order-select) that names a pathway.
    func orderCards(hook: String, context: [String: Any], mapping: FHIRMapping, builder: CDSCards) -> [JSONValue] {
        let bundle = context["draftOrders"] as? [String: Any] ?? [:]
        let selections = Set(context["selections"] as? [String] ?? [])
        var cards: [JSONValue] = []
        for case let entry as [String: Any] in bundle["entry"] as? [Any] ?? [] {
            guard let resource = entry["resource"] as? [String: Any], resource["resourceType"] as? String == "ServiceRequest" else {
                continue
            }
            let reference = "ServiceRequest/" + (resource["id"] as? String ?? "?")
            if hook == "order-select" && !selections.contains(reference) { continue }
            let code = resource["code"] as? [String: Any]
            let display =
                code?["text"] as? String
                ?? ((code?["coding"] as? [[String: Any]])?.first?["display"] as? String) ?? "Draft order"
            for pathway in mapping.pathways(forOrderJSON: resource) {
                let status = builder.decision["pathways"]?[pathway]?["status"]?.stringValue
                let suggestions = status == "contraindicated" ? [CDSCards.deleteOrder(reference: reference, pathway: pathway)] : []
                cards.append(
                    builder.orderCard(pathway: pathway, orderReference: reference, orderDisplay: display, suggestions: suggestions))
            }
        }
        return cards
    }

    /// JSON null. A prefetched Bundle is tested as a dictionary first: casting a Swift dictionary
    /// to a class (`is NSNull`) bridges all of it to Foundation just to answer no.
    static func isNull(_ value: Any) -> Bool {
        if value is [String: Any] || value is [Any] { return false }
        return value is NSNull
    }

    static func isOperationOutcome(_ value: Any) -> Bool {
        (value as? [String: Any])?["resourceType"] as? String == "OperationOutcome"
    }

    /// A prefetch template with its `{{context.X}}` tokens filled from the hook's context.
    static func fill(_ template: String, context: [String: Any]) -> String {
        var out = template
        for (key, value) in context {
            guard let text = value as? String else { continue }
            let encoded =
                text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? text
            out = out.replacingOccurrences(of: "{{context.\(key)}}", with: encoded)
        }
        return out
    }

    /// The evaluation date of a live call: today, in UTC (recorded with the case for replay).
    static func today() -> FHIRDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return FHIRDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    // MARK: Feedback

    func feedback(service: String, request: Request) async throws -> Response {
        let body = try await state.body(request)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let items = object["feedback"] as? [Any], !items.isEmpty
        else {
            throw APIError.badRequest("feedback: expected a non-empty list")
        }
        var stored = 0
        var repeated = 0
        for (index, item) in items.enumerated() {
            guard let entry = item as? [String: Any], let card = entry["card"] as? String,
                let outcome = entry["outcome"] as? String, ["accepted", "overridden"].contains(outcome),
                let timestamp = entry["outcomeTimestamp"] as? String
            else {
                throw APIError.badRequest("feedback[\(index)]: card, outcome (accepted|overridden) and outcomeTimestamp are required")
            }
            let accepted = entry["acceptedSuggestions"].flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
            let override = entry["overrideReason"].flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
            if outcome == "accepted" && accepted == nil {
                throw APIError.badRequest("feedback[\(index)].acceptedSuggestions: required when accepted")
            }
            var hasher = SHA256()
            for part in [service, card, outcome, timestamp] { hasher.update(data: Data((part + "\u{0}").utf8)) }
            hasher.update(data: accepted ?? Data())
            hasher.update(data: Data([0]))
            hasher.update(data: override ?? Data())
            let id = hasher.finalize().lowercaseHex
            let decisionID: String?
            do {
                decisionID = try await state.log.decisionID(card: card, service: service)
                let new = try await state.log.record(
                    LoggedFeedback(
                        id: id, decisionID: decisionID, service: service, cardUUID: card, outcome: outcome, outcomeTimestamp: timestamp,
                        acceptedSuggestionsJSON: accepted.map { String(decoding: $0, as: UTF8.self) },
                        overrideReasonJSON: override.map { String(decoding: $0, as: UTF8.self) }, receivedAt: ServiceState.now()))
                if new { stored += 1 } else { repeated += 1 }
            } catch {
                throw APIError(
                    .serviceUnavailable, code: "transient", "the feedback could not be recorded; retry", headers: [.retryAfter: "1"])
            }
        }
        return Response.json(.object([("stored", .int(Int64(stored))), ("duplicates", .int(Int64(repeated)))]))
    }
}
