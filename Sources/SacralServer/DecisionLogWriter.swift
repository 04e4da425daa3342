import SQLKit

/// The decision log's one writer: every write of the service goes through its queue.
///
/// Decisions that arrive while a commit is under way are committed together (group commit): one
/// transaction per batch, so a burst of concurrent requests pays for one durable commit — one
/// fsync of SQLite's write-ahead log — instead of one each, and a decision and its cards are
/// stored together or not at all. Each request still hears back only once its own decision is
/// durable, so nothing is answered that the log does not hold. A batch the database refuses is
/// written again one decision at a time: a record that cannot be stored fails its own request,
/// never its neighbours'.
///
/// Feedback goes through the same queue, between batches: SQLite has one connection, and a write
/// made on it while a batch's transaction is open would be committed (or rolled back) with it.
actor DecisionLogWriter {
    enum Job: Sendable {
        case decision(LoggedDecision, cards: [LoggedCard])
        case feedback(LoggedFeedback)
    }

    private struct Waiting {
        let job: Job
        let done: CheckedContinuation<Bool, any Error>
    }

    /// The most decisions one transaction holds (13 bound values each: far below both databases'
    /// limits on the values of one statement).
    static let maxBatch = 64

    private let db: any SQLDatabase
    private var queue: [Waiting] = []
    private var draining = false

    init(db: any SQLDatabase) {
        self.db = db
    }

    /// Queues `job` and returns once it is stored: for feedback, whether it was new.
    func submit(_ job: Job) async throws -> Bool {
        try await withCheckedThrowingContinuation { done in
            queue.append(Waiting(job: job, done: done))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(Self.maxBatch))
            queue.removeFirst(batch.count)
            await write(batch)
        }
        draining = false
    }

    private func write(_ batch: [Waiting]) async {
        let decisions = batch.filter { if case .decision = $0.job { true } else { false } }
        if decisions.count == 1 {
            await write(decisions[0])
        } else if !decisions.isEmpty {
            do {
                try await commit(decisions.map(\.job))
                for waiting in decisions { waiting.done.resume(returning: true) }
            } catch {
                for waiting in decisions { await write(waiting) }
            }
        }
        for waiting in batch {
            guard case .feedback(let feedback) = waiting.job else { continue }
            do {
                waiting.done.resume(returning: try await store(feedback))
            } catch {
                waiting.done.resume(throwing: error)
            }
        }
    }

    private func write(_ decision: Waiting) async {
        do {
            try await commit([decision.job])
            decision.done.resume(returning: true)
        } catch {
            decision.done.resume(throwing: error)
        }
    }

    /// The decisions of `jobs` and their cards, in one transaction.
    private func commit(_ jobs: [Job]) async throws {
        var decisions: [LoggedDecision] = []
        var cards: [LoggedCard] = []
        for job in jobs {
            guard case .decision(let decision, let its) = job else { continue }
            decisions.append(decision)
            cards += its
        }
        try await db.withSession { [decisions, cards] session in
            try await session.raw("BEGIN").run()
            do {
                try await session.insert(into: "decisions").models(decisions).run()
                if !cards.isEmpty {
                    try await session.insert(into: "cards").models(cards).ignoringConflicts(with: "card_uuid").run()
                }
                try await session.raw("COMMIT").run()
            } catch {
                try? await session.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Stores feedback once; true when it was new.
    private func store(_ feedback: LoggedFeedback) async throws -> Bool {
        let before =
            try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("feedback")
            .where("id", .equal, feedback.id).first(decodingColumn: "n", as: Int.self) ?? 0
        try await db.insert(into: "feedback").model(feedback).ignoringConflicts(with: "id").run()
        return before == 0
    }
}
