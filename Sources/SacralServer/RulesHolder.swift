import Foundation
import Logging
import SacralEngine
import Synchronization

/// The engine pool now serving requests, and the outcome of the last reload.
///
/// A reload builds a whole new pool from the rules on disk while the old one keeps serving; only a
/// pool whose every engine loaded replaces it, in one atomic swap. The old pool finishes the work
/// already queued on it, then its threads end. A broken edit therefore never takes the service
/// down: the running rules stay, and the reason is logged and shown by `/readyz`.
public final class RulesHolder: Sendable {
    /// Where the rules come from: a directory read anew on every reload, or the built-in copy.
    public enum Source: Sendable {
        case directory(String)
        case embedded
    }

    public struct Status: Sendable {
        public var sha256: String
        public var origin: String
        public var loadedAt: Date
        /// The last reload that failed, if the failure is newer than the rules now serving.
        public var reloadError: String?
    }

    private struct State {
        var pool: EnginePool
        var loadedAt: Date
        var reloadError: String?
    }

    public let source: Source
    private let limits: EngineLimits
    private let workers: Int
    private let queueDepth: Int
    private let onWait: @Sendable (Duration) -> Void
    private let state: Mutex<State>
    private let reloading = Mutex(false)

    public init(
        source: Source, limits: EngineLimits, workers: Int, queueDepth: Int,
        onWait: @escaping @Sendable (Duration) -> Void
    ) async throws {
        self.source = source
        self.limits = limits
        self.workers = workers
        self.queueDepth = queueDepth
        self.onWait = onWait
        let pool = try await EnginePool.start(
            ruleSet: try Self.read(source), limits: limits, workers: workers,
            queueDepth: queueDepth, onWait: onWait)
        state = Mutex(State(pool: pool, loadedAt: Date(), reloadError: nil))
    }

    /// The pool to hand the next request to.
    public var pool: EnginePool { state.withLock { $0.pool } }

    public var status: Status {
        state.withLock { s in
            Status(sha256: s.pool.ruleSet.sha256, origin: s.pool.ruleSet.origin, loadedAt: s.loadedAt, reloadError: s.reloadError)
        }
    }

    /// What a reload did.
    public enum ReloadOutcome: Sendable {
        case replaced(old: String, new: String)
        case unchanged(String)
        case failed(String)
        case busy
    }

    /// Reads the rules again and swaps in a new pool when they load; keeps the running pool when not.
    public func reload(logger: Logger) async -> ReloadOutcome {
        guard
            reloading.withLock({ busy in
                if busy { return false }
                busy = true
                return true
            })
        else { return .busy }
        defer { reloading.withLock { $0 = false } }

        let ruleSet: RuleSet
        do {
            ruleSet = try Self.read(source)
        } catch {
            return fail("\(error)", logger: logger)
        }
        let current = pool
        if ruleSet.sha256 == current.ruleSet.sha256 {
            state.withLock { $0.reloadError = nil }
            logger.info("rules unchanged", metadata: ["ruleset.sha256": "\(ruleSet.sha256)"])
            return .unchanged(ruleSet.sha256)
        }
        let fresh: EnginePool
        do {
            fresh = try await EnginePool.start(ruleSet: ruleSet, limits: limits, workers: workers, queueDepth: queueDepth, onWait: onWait)
        } catch {
            return fail("\(error)", logger: logger)
        }
        let old = state.withLock { s -> EnginePool in
            let old = s.pool
            s.pool = fresh
            s.loadedAt = Date()
            s.reloadError = nil
            return old
        }
        old.close()
        logger.notice("rules reloaded", metadata: ["ruleset.old": "\(old.ruleSet.sha256)", "ruleset.sha256": "\(ruleSet.sha256)"])
        return .replaced(old: old.ruleSet.sha256, new: ruleSet.sha256)
    }

    /// Ends the serving pool (at shutdown, after the server stopped taking requests).
    public func close() async {
        let pool = self.pool
        pool.close()
        await pool.drained()
    }

    private func fail(_ message: String, logger: Logger) -> ReloadOutcome {
        state.withLock { $0.reloadError = message }
        logger.error(
            "rules reload failed; the running rules stay", metadata: ["reason": "\(message)", "ruleset.sha256": "\(pool.ruleSet.sha256)"])
        return .failed(message)
    }

    private static func read(_ source: Source) throws -> RuleSet {
        switch source {
        case .directory(let path): return try RuleSet.load(directory: path)
        case .embedded: return RuleSet.embedded
        }
    }
}
