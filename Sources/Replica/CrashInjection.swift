import Foundation
import Synchronization

/// A debugging hook for crash tests: when `step` names a point of the apply, the process kills itself with
/// SIGKILL right after reaching it, as a power cut or OOM kill would.
package enum CrashInjection {
    private static let step = Mutex<String?>(nil)

    /// Sets the step to die at (`spool`: a transaction moved to the spool file; `journal`, `metadata`, `page-K`, `truncate`, `synced`, `commit-point`, `committed`),
    /// or `nil` for none.
    package static func crash(after name: String?) {
        step.withLock { $0 = name }
    }

    static func reached(_ name: @autoclosure () -> String) {
        guard let target = step.withLock({ $0 }), target == name() else { return }
        kill(getpid(), SIGKILL)
    }
}
