import Foundation
import Hrana
import Synchronization

/// Runs `body` with a time limit: when it has not finished after `timeout`, it is cancelled and the call fails
/// with `TIMEOUT` at once, without waiting for `body` to notice the cancellation (a transport that ignores
/// cancellation cannot hold the caller past its timeout). `nil` means no limit.
///
/// The transports bound only the wait for the response head; this bounds the body too.
func withDeadline<T: Sendable>(
    _ timeout: Duration?, _ what: @autoclosure () -> String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let timeout else { return try await body() }
    let race = DeadlineRace<T>(timeoutError: LibSQLError(
        code: .timeout, message: "\(what()) did not finish within the request timeout (\(timeout))"))
    let work = Task { try await body() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, work: work, timeout: timeout)
        }
    } onCancel: {
        work.cancel()
    }
}

/// The first of a body and its timer to finish resumes the caller; the loser is cancelled.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
        var done = false
    }

    private let state = Mutex(State())
    private let timeoutError: LibSQLError

    init(timeoutError: LibSQLError) {
        self.timeoutError = timeoutError
    }

    func start(_ continuation: CheckedContinuation<T, any Error>, work: Task<T, any Error>, timeout: Duration) {
        state.withLock { $0.continuation = continuation }
        let timer = Task {
            do {
                try await Task.sleep(for: timeout)
            } catch {
                return
            }
            // Settled before the body is cancelled, so the body's `CancellationError` cannot win the race.
            self.finish(.failure(self.timeoutError))
            work.cancel()
        }
        let alreadyDone = state.withLock { state -> Bool in
            state.timer = timer
            return state.done
        }
        if alreadyDone { timer.cancel() }
        Task {
            let result = await work.result
            self.finish(result)
        }
    }

    private func finish(_ result: Result<T, any Error>) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            guard !state.done else { return (nil, nil) }
            state.done = true
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
    }
}
