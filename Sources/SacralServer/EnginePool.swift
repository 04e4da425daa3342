import DequeModule
import Foundation
import SacralEngine

/// Why the pool could not run a piece of work.
public enum PoolError: Error, Sendable {
    /// Every engine is busy and the queue is full: answer 503 with Retry-After.
    case queueFull
    /// The request waited for an engine past its deadline.
    case timedOut
    /// The pool is shutting down (a reload replaced it, or the server stops).
    case closed
}

/// A fixed set of engines, one per worker thread, for one rule set.
///
/// An `Engine` holds a Lua state and is not thread-safe, so each lives on its own thread for its
/// whole life and serves one request at a time; requests wait in a bounded queue. Evaluation is
/// CPU-bound, so it runs here and not on Swift's cooperative threads or NIO's event loops, which
/// stay free to accept connections and to answer 503 quickly when the queue is full.
public final class EnginePool: @unchecked Sendable {
    public let ruleSet: RuleSet
    public let catalog: Catalog
    /// The FHIR mapping of the rules (Rules/fhir.lua), for CDS Hooks and FHIR Bundles; nil without one.
    public let fhirMapping: FHIRMapping?
    /// The mapping's prefetch queries (built once: a hook call reads them all).
    public let fhirQueries: [FHIRMapping.Query]
    public let validator: CaseValidator
    public let workers: Int
    public let queueDepth: Int

    private final class Job: @unchecked Sendable {
        let deadline: ContinuousClock.Instant
        let enqueued: ContinuousClock.Instant
        let run: (Engine?) -> Void  // nil: the job is abandoned (timed out or pool closed)
        init(deadline: ContinuousClock.Instant, run: @escaping (Engine?) -> Void) {
            self.deadline = deadline
            self.enqueued = .now
            self.run = run
        }
    }

    private let condition = NSCondition()
    /// Jobs not yet taken. A job leaves it when a worker takes it, so what the job holds (the
    /// request, its continuation) is released by that worker once it has answered, not under the
    /// lock and not kept until the queue is next compacted.
    private var queue = Deque<Job>()
    private var closed = false
    private var busy = 0
    private var exited = 0
    private let onWait: @Sendable (Duration) -> Void

    private init(
        ruleSet: RuleSet, catalog: Catalog, fhirMapping: FHIRMapping?, validator: CaseValidator, workers: Int, queueDepth: Int,
        onWait: @escaping @Sendable (Duration) -> Void
    ) {
        self.ruleSet = ruleSet
        self.catalog = catalog
        self.fhirMapping = fhirMapping
        self.fhirQueries = fhirMapping?.queries ?? []
        self.validator = validator
        self.workers = workers
        self.queueDepth = queueDepth
        self.onWait = onWait
    }

    /// Loads the rules into `workers` engines (0: one per core), each on its own thread. Throws the
    /// rules' error (file and line) when they do not load; then no thread is left running.
    public static func start(
        ruleSet: RuleSet, limits: EngineLimits = EngineLimits(), workers: Int = 0, queueDepth: Int = 256,
        onWait: @escaping @Sendable (Duration) -> Void = { _ in }
    ) async throws -> EnginePool {
        let count = workers > 0 ? workers : max(1, ProcessInfo.processInfo.activeProcessorCount)
        // One engine is built first, here on a worker thread, to learn the catalogue and to fail
        // fast on broken rules before more threads start.
        let first = try await withCheckedThrowingContinuation {
            (k: CheckedContinuation<(Catalog, CaseValidator, FHIRMapping?), any Error>) in
            Thread.detachNewThread {
                do {
                    let engine = try Engine(ruleSet: ruleSet, limits: limits)
                    // A broken Rules/fhir.lua fails the pool like a broken rule: a reload keeps the old one.
                    k.resume(returning: (engine.catalog, engine.validator, try engine.fhirMapping()))
                } catch {
                    k.resume(throwing: error)
                }
            }
        }
        let pool = EnginePool(
            ruleSet: ruleSet, catalog: first.0, fhirMapping: first.2, validator: first.1, workers: count,
            queueDepth: queueDepth, onWait: onWait)
        // The rules loaded once, so they load on every worker: same text, same limits.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await withCheckedThrowingContinuation { (k: CheckedContinuation<Void, any Error>) in
                        let thread = Thread {
                            let engine: Engine
                            do {
                                engine = try Engine(ruleSet: ruleSet, limits: limits)
                            } catch {
                                k.resume(throwing: error)
                                return
                            }
                            engine.prepareNextCase()
                            k.resume()
                            pool.serve(engine)
                        }
                        thread.name = "sacral-engine-\(index)"
                        thread.stackSize = 8 << 20
                        thread.start()
                    }
                }
            }
            do {
                try await group.waitForAll()
            } catch {
                pool.close()
                throw error
            }
        }
        return pool
    }

    /// Runs `body` with an engine no other request is using. Waits in the queue until `deadline`.
    public func run<T: Sendable>(deadline: ContinuousClock.Instant, _ body: @escaping @Sendable (Engine) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (k: CheckedContinuation<T, any Error>) in
            let job = Job(deadline: deadline) { engine in
                guard let engine else { return k.resume(throwing: PoolError.timedOut) }
                k.resume(returning: body(engine))
            }
            condition.lock()
            if closed {
                condition.unlock()
                return k.resume(throwing: PoolError.closed)
            }
            if queue.count >= queueDepth + max(0, workers - busy) {
                condition.unlock()
                return k.resume(throwing: PoolError.queueFull)
            }
            queue.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// Requests waiting for an engine, and engines at work.
    public var load: (waiting: Int, busy: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (queue.count, busy)
    }

    /// Stops taking work; queued work still runs, then the threads end and their engines with them.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits (without blocking a cooperative thread for long) until every worker thread ended.
    public func drained() async {
        while !allExited() {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func allExited() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return exited == workers
    }

    private func serve(_ engine: Engine) {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            guard let job = queue.popFirst() else {
                exited += 1
                condition.unlock()
                return
            }
            busy += 1
            condition.unlock()

            let now = ContinuousClock.now
            onWait(now - job.enqueued)
            job.run(now > job.deadline ? nil : engine)
            // The job has answered: the collection every case starts from runs now, off the next
            // request's path.
            engine.prepareNextCase()

            condition.lock()
            busy -= 1
            condition.unlock()
        }
    }
}
