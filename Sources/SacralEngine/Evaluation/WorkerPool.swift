import Foundation

/// Runs batches of independent work on several threads, each thread owning a worker of its own
/// (an ``Engine``, or two for a diff: a Lua state serves one thread), and gives the results back in
/// input order, so that what a command prints does not depend on the number of workers.
///
/// Items are handed out one at a time from a shared counter (cases differ in cost); each result
/// lands in its own slot. With one worker everything runs on the calling thread.
public final class WorkerPool<Worker>: @unchecked Sendable {
    // Each thread touches only `workers[w]` for its own w, and each result slot is written by one
    // thread before `concurrentPerform` returns: no two threads share mutable state but the counter.
    private let workers: [Worker]

    /// How many workers (threads) run at once.
    public var count: Int { workers.count }

    /// `count` workers: `first` and `count - 1` more from `make` (called on the calling thread).
    public init<E: Error>(first: Worker, count: Int, make: () throws(E) -> Worker) throws(E) {
        var workers = [first]
        for _ in 1..<max(1, count) { workers.append(try make()) }
        self.workers = workers
    }

    /// `body(worker, i)` for every i in 0..<n, in parallel; the results in index order.
    public func map<T>(_ n: Int, _ body: @Sendable (Worker, Int) -> T) -> [T] {
        if workers.count == 1 || n <= 1 {
            return (0..<n).map { body(workers[0], $0) }
        }
        let slots = Slots<T>(count: n)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: min(workers.count, n)) { w in
            let worker = workers[w]
            while let i = next.take(below: n) { slots.put(i, body(worker, i)) }
        }
        return slots.values()
    }
}

/// The next index to hand out.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// One slot per index, each written once by one thread; read after every thread finished.
private final class Slots<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func put(_ i: Int, _ value: T) {
        lock.lock()
        storage[i] = value
        lock.unlock()
    }

    func values() -> [T] { storage.map { $0! } }
}
