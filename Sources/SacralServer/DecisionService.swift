import Foundation
import Hummingbird
import SacralEngine

/// Runs an evaluation on a pool engine and records it: the one path every route that decides goes
/// through, so that no decision is answered without being in the log.
struct DecisionService: Sendable {
    let state: ServiceState

    struct Outcome: Sendable {
        var id: String
        var evaluation: CaseEvaluation
    }

    /// Evaluates a case sent as JSON or YAML bytes.
    func evaluate(
        bytes: Data, format: CaseDecoder.Format, origin: String, service: String?, requestID: String,
        patientID: String?, whatIfLimit: Int? = nil, context: some RequestContext
    ) async throws(APIError) -> Outcome {
        try await evaluate(origin: origin, service: service, requestID: requestID, patientID: patientID, context: context) { engine in
            CaseEvaluator.decode(bytes, format: format).flatMap { CaseEvaluator.evaluate($0, engine: engine, whatIfLimit: whatIfLimit) }
        }
    }

    /// Evaluates whatever case `make` builds on the engine (a decoded body, a FHIR mapping…) and
    /// records it.
    func evaluate(
        origin: String, service: String?, requestID: String, patientID: String?, context: some RequestContext,
        _ make: @escaping @Sendable (Engine) -> Result<CaseEvaluation, CaseRejection>
    ) async throws(APIError) -> Outcome {
        let evaluation = try await decide(context: context, make)
        let id = UUID().uuidString.lowercased()
        try await record(
            id: id, evaluation, origin: origin, service: service, requestID: requestID, patientID: patientID, cards: [], context: context)
        return Outcome(id: id, evaluation: evaluation)
    }

    /// Runs `make` on a free engine of the serving pool.
    func decide(
        context: some RequestContext,
        _ make: @escaping @Sendable (Engine) -> Result<CaseEvaluation, CaseRejection>
    ) async throws(APIError) -> CaseEvaluation {
        let pool = state.rules.pool
        let result: Result<CaseEvaluation, CaseRejection>
        do {
            result = try await pool.run(deadline: state.deadline, make)
        } catch PoolError.queueFull {
            state.metrics.rejected()
            throw APIError(.serviceUnavailable, code: "throttled", "every engine is busy; retry shortly", headers: [.retryAfter: "1"])
        } catch PoolError.timedOut {
            throw APIError(
                .serviceUnavailable, code: "timeout", "no engine was free within the request time limit", headers: [.retryAfter: "1"])
        } catch {
            throw APIError(.serviceUnavailable, code: "transient", "the rules are being replaced; retry", headers: [.retryAfter: "1"])
        }
        let evaluation: CaseEvaluation
        switch result {
        case .success(let e): evaluation = e
        case .failure(let rejection): throw rejection.apiError
        }
        state.metrics.decision(statuses: evaluation.statuses, failures: evaluation.failures.count)
        if !evaluation.failures.isEmpty {
            context.logger.warning(
                "rules failed while deciding",
                metadata: ["rule_failures": "\(evaluation.failures.count)", "ruleset.sha256": "\(evaluation.rulesetSHA256)"])
        }
        return evaluation
    }

    /// Writes a decision (and the cards that show it) to the log.
    func record(
        id: String, _ evaluation: CaseEvaluation, origin: String, service: String?, requestID: String, patientID: String?,
        cards: [String], context: some RequestContext
    ) async throws(APIError) {
        let record = LoggedDecision(
            id: id, requestID: requestID, receivedAt: ServiceState.now(), origin: origin, service: service,
            rulesetSHA256: evaluation.rulesetSHA256, engineVersion: Engine.version, replica: state.replica,
            patientHash: patientID.map(state.hasher.hash), caseKind: evaluation.caseKind, caseJSON: evaluation.caseJSON,
            decisionJSON: evaluation.text,
            ruleFailures: evaluation.failures.count)
        do {
            try await state.log.record(record, cards: cards)
        } catch {
            // Unlogged decisions are not answered: the log is the audit trail.
            context.logger.error("the decision could not be recorded", metadata: ["error.type": "\(type(of: error))"])
            throw APIError(.serviceUnavailable, code: "transient", "the decision could not be recorded; retry", headers: [.retryAfter: "1"])
        }
    }
}
