// PipelineFailure: the first failure of any stage of a backup, which stops every stage.
@_spi(Benchmarks) internal import TriplicateCore
internal import Synchronization

/// The first failure of any stage; once set, every stage stops and the channels close.
final class PipelineFailure: Sendable {
    private let error = Mutex<TriplicateError?>(nil)
    private let onFail: @Sendable () -> Void

    init(onFail: @escaping @Sendable () -> Void) { self.onFail = onFail }

    var current: TriplicateError? { error.withLock { $0 } }

    /// Records `e` unless an earlier failure is recorded, and stops the pipeline.
    func fail(_ e: TriplicateError) {
        let first = error.withLock { (stored: inout TriplicateError?) -> Bool in
            if stored != nil { return false }
            stored = e
            return true
        }
        if first { onFail() }
    }
}
