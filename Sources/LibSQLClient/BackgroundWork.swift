import Synchronization

/// Fire-and-forget work of a connector (closing a drained cursor's stream) that its shutdown waits for.
final class BackgroundWork: Sendable {
    private let state = Mutex<(closed: Bool, next: Int, tasks: [Int: Task<Void, Never>])>((false, 0, [:]))

    /// Runs `operation` in a task of its own, unless ``finish()`` was called.
    func run(_ operation: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            guard !state.closed else { return }
            let id = state.next
            state.next += 1
            state.tasks[id] = Task {
                await operation()
                _ = self.state.withLock { $0.tasks.removeValue(forKey: id) }
            }
        }
    }

    /// Refuses new work and waits for what is running.
    func finish() async {
        let pending = state.withLock { state -> [Task<Void, Never>] in
            state.closed = true
            return Array(state.tasks.values)
        }
        for task in pending { await task.value }
    }
}
