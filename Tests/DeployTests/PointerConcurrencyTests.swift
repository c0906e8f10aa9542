import Deploy
import Foundation
import Testing

@Suite("LocalPointerStore compare-and-swap under contention")
struct PointerConcurrencyTests {
    enum Attempt: Sendable {
        case won(String)
        case lost(String, PointerConflict)
        case failed(String, String)
    }

    /// Runs one compare-and-swap per name, each in its own child task (the tasks run on
    /// the concurrent pool, so they overlap on a multi-core machine). Each contender has
    /// its own store, as separate runners would.
    static func race(pointerPath: String, expected: PointerState, names: [String]) async -> [Attempt] {
        await withTaskGroup(of: Attempt.self) { group in
            for name in names {
                group.addTask {
                    let store = LocalPointerStore(path: pointerPath)
                    do {
                        try await store.compareAndSwap(expected: expected, to: name)
                        return .won(name)
                    } catch let conflict as PointerConflict {
                        return .lost(name, conflict)
                    } catch {
                        return .failed(name, "\(error)")
                    }
                }
            }
            var attempts: [Attempt] = []
            for await attempt in group { attempts.append(attempt) }
            return attempts
        }
    }

    static func check(rounds: Int, contenders: Int) async throws {
        let dir = try TempDir("cas-race")
        let path = dir.url("_sitebuild/live")
        let store = LocalPointerStore(path: path)
        var previous: String? = nil
        for round in 0..<rounds {
            let state = try await store.read()
            #expect(state.version == previous)
            let names = (0..<contenders).map { "r\(round)-runner\($0)" }
            let attempts = await race(pointerPath: path, expected: state, names: names)
            #expect(attempts.count == contenders)
            var winners: [String] = []
            var losers: [(String, PointerConflict)] = []
            for attempt in attempts {
                switch attempt {
                case .won(let name): winners.append(name)
                case .lost(let name, let conflict): losers.append((name, conflict))
                case .failed(let name, let message): Issue.record("round \(round): \(name) failed: \(message)")
                }
            }
            #expect(winners.count == 1, "round \(round): winners \(winners)")
            #expect(losers.count == contenders - 1, "round \(round)")
            guard let winner = winners.first else { continue }
            for (name, conflict) in losers {
                #expect(conflict.expected == previous)
                #expect(conflict.found == winner, "round \(round): \(name) saw \(conflict.found ?? "none")")
                #expect(conflict.wanted == name)
                #expect(conflict.description.contains(winner) && conflict.description.contains(name))
            }
            #expect(try await store.read().version == winner)
            previous = winner
        }
        // Nothing but the pointer and its lock file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url("_sitebuild")).sorted() == ["live", "live.lock"])
    }

    @Test func twoContendersFiftyRounds() async throws {
        try await Self.check(rounds: 50, contenders: 2)
    }

    @Test func eightContendersTwentyRounds() async throws {
        try await Self.check(rounds: 20, contenders: 8)
    }
}
