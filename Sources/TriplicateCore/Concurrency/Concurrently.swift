// Concurrently: the one "N at a time" loop of the package: restore's files, check's and repair's packs, a plan's
// copies between destinations, and S3's multipart uploads all run through it.
internal import Synchronization

/// What one task hands back: the worker it borrowed, and its output.
///
/// A struct, never a tuple: in release builds, Swift 6.3.1 handed a task group a garbage tuple holding a `Result` over a
/// typed error, and the process crashed in `swift_retain`.
package struct Lent<Worker: Sendable, Output: Sendable>: Sendable {
    package let worker: Worker
    package let output: Output
}

/// Runs `work` on every element of `inputs`, as many at once as there are `workers`: each task borrows one worker (a
/// reader with its buffers, a scanner) and gives it back when it ends, so no two tasks ever share one. `collect` gets
/// each output on the calling task, in the order the tasks finish; when it returns false, no further input is started
/// and the tasks still running are cancelled (they finish; `collect` sees them too). Returns when every task started
/// has finished.
///
/// - Complexity: at most `workers.count` tasks exist at a time, whatever the number of inputs.
package func forEachConcurrently<Input: Sendable, Worker: Sendable, Output: Sendable>(
    _ inputs: [Input], workers: [Worker],
    _ work: @escaping @Sendable (Input, Worker) async -> Output,
    collect: (Output) -> Bool
) async {
    guard !inputs.isEmpty, !workers.isEmpty else { return }
    await withTaskGroup(of: Lent<Worker, Output>.self) { group in
        var idle = workers
        var next = 0
        var going = true
        func start(_ worker: Worker) {
            let input = inputs[next]
            next += 1
            group.addTask { Lent(worker: worker, output: await work(input, worker)) }
        }
        while next < inputs.count, let w = idle.popLast() { start(w) }
        while let done = await group.next() {
            if going, !collect(done.output) {
                going = false
                group.cancelAll()
            } else if !going {
                _ = collect(done.output)
            }
            if going, next < inputs.count { start(done.worker) }
        }
    }
}

/// ``forEachConcurrently(_:workers:_:collect:)`` with `limit` tasks at once and nothing to lend.
package func forEachConcurrently<Input: Sendable, Output: Sendable>(
    _ inputs: [Input], limit: Int,
    _ work: @escaping @Sendable (Input) async -> Output,
    collect: (Output) -> Bool
) async {
    await forEachConcurrently(inputs, workers: Array(0..<max(limit, 1)), { input, _ in await work(input) }, collect: collect)
}

/// The result of `operation`, or nil when it has not finished by `deadline`: then it is cancelled and left to end in
/// the background (an operation stuck in a system call that cannot be cancelled, on a hung network share, does not
/// hold up the caller).
package func firstOf<T: Sendable>(_ operation: @escaping @Sendable () async -> T, deadline: Duration) async -> T? {
    let race = Race<T>()
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        race.waiting.withLock { $0 = continuation }
        let work = Task {
            race.finish(await operation())
            race.timer.withLock { $0?.cancel() }
        }
        race.timer.withLock { t in
            t = Task {
                guard (try? await Task.sleep(for: deadline)) != nil else { return }
                race.finish(nil)
                work.cancel()
            }
        }
    }
}

/// The state of ``firstOf(_:deadline:)``: who is waiting, and the timer to stop once the operation is done.
private final class Race<T: Sendable>: Sendable {
    let waiting = Mutex<CheckedContinuation<T?, Never>?>(nil)
    let timer = Mutex<Task<Void, Never>?>(nil)

    /// Resumes the waiting caller with `value`, the first time only.
    func finish(_ value: T?) {
        waiting.withLock { c in
            c?.resume(returning: value)
            c = nil
        }
    }
}
