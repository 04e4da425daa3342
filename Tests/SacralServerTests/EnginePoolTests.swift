import Foundation
import SacralEngine
import Testing

@testable import SacralServer

private let shippedRules: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/Rules"
}()

/// Something a request holds, whose release the tests watch.
private final class Payload: Sendable {}

/// The engine pool: one engine per worker thread, a bounded queue in front of them.
@Suite struct EnginePoolTests {
    private static func pool(workers: Int = 1, queueDepth: Int = 8) async throws -> EnginePool {
        try await EnginePool.start(ruleSet: RuleSet.load(directory: shippedRules), workers: workers, queueDepth: queueDepth)
    }

    /// A served request's data (its body, its case, its continuation) is let go once it has been
    /// answered; the pool keeps no trail of finished jobs.
    @Test func whatAJobHoldsIsReleasedOnceItHasAnswered() async throws {
        let pool = try await Self.pool()
        // The test's own reference ends with this function, before it watches.
        func serve(_ payload: Payload) async throws -> Int {
            try await pool.run(deadline: .now + .seconds(30)) { engine in
                withExtendedLifetime(payload) { engine.ruleSet.sha256.count }
            }
        }
        for _ in 0..<3 {
            weak var watched: Payload?
            let answer = try await {
                let payload = Payload()
                watched = payload
                return try await serve(payload)
            }()
            #expect(answer == 64)
            // The worker drops its job right after answering, on its own thread.
            let until = ContinuousClock.now + .seconds(5)
            while watched != nil && ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(5)) }
            #expect(watched == nil, "the pool still holds a job that has answered")
        }
        pool.close()
        await pool.drained()
    }

    /// Jobs are taken in the order they came; work queued before `close` still runs.
    @Test func jobsRunInArrivalOrderAndQueuedWorkOutlivesClose() async throws {
        let pool = try await Self.pool(workers: 1, queueDepth: 64)
        let order = Order()
        // The first job holds the only engine until every other job is queued behind it.
        let gate = DispatchSemaphore(value: 0)
        let first = Task {
            try await pool.run(deadline: .now + .seconds(30)) { _ in
                gate.wait()
                order.append(0)
            }
        }
        while pool.load.busy == 0 { try await Task.sleep(for: .milliseconds(2)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 1...20 {
                group.addTask { try await pool.run(deadline: .now + .seconds(30)) { _ in order.append(i) } }
                while pool.load.waiting < i { try await Task.sleep(for: .milliseconds(1)) }
            }
            pool.close()
            gate.signal()
            try await first.value
            try await group.waitForAll()
        }
        #expect(order.values == Array(0...20))
        await pool.drained()
        await #expect(throws: PoolError.self) { try await pool.run(deadline: .now + .seconds(1)) { _ in 0 } }
    }

    /// A full queue refuses at once (the caller answers 503) instead of waiting.
    @Test func aFullQueueRefusesAtOnce() async throws {
        let pool = try await Self.pool(workers: 1, queueDepth: 2)
        let gate = DispatchSemaphore(value: 0)
        async let held: Void = pool.run(deadline: .now + .seconds(30)) { _ in gate.wait() }
        while pool.load.busy == 0 { try await Task.sleep(for: .milliseconds(2)) }
        async let a: Void = pool.run(deadline: .now + .seconds(30)) { _ in }
        async let b: Void = pool.run(deadline: .now + .seconds(30)) { _ in }
        while pool.load.waiting < 2 { try await Task.sleep(for: .milliseconds(1)) }
        do {
            _ = try await pool.run(deadline: .now + .seconds(30)) { _ in 0 }
            Issue.record("a third waiting job was queued past queue_depth 2")
        } catch PoolError.queueFull {
        } catch {
            Issue.record("expected queueFull, got \(error)")
        }
        gate.signal()
        _ = try await (held, a, b)
        pool.close()
        await pool.drained()
    }
}

/// The order jobs ran in, appended from the workers' threads.
private final class Order: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func append(_ i: Int) { lock.withLock { list.append(i) } }
    var values: [Int] { lock.withLock { list } }
}
