// Channel and WaitGroup: hand-offs between the backup's worker threads and its async tasks.
@_spi(Benchmarks) internal import TriplicateCore
internal import Foundation

/// A first-in, first-out queue between threads and tasks. Worker threads use the blocking calls; tasks use the
/// async ones, which suspend instead of blocking a thread of the cooperative pool.
///
/// `capacity` bounds the items waiting; a sender waits while it is reached. After ``close()`` senders are refused
/// and receivers get the items still queued, then nil.
final class Channel<Element: Sendable>: @unchecked Sendable {
    // Every stored property is guarded by `cond`'s lock; that is what makes the class Sendable.
    private let cond = NSCondition()
    private var items: [Element?] = []
    private var head = 0
    private let capacity: Int
    private var closed = false
    private var receivers: [CheckedContinuation<Element?, Never>] = []
    private var senders: [(item: Element, continuation: CheckedContinuation<Bool, Never>)] = []

    init(capacity: Int = .max) { self.capacity = max(capacity, 1) }

    private var count: Int { items.count - head }

    /// Removes the first item; the lock must be held and the queue not empty. Admits a waiting async sender.
    private func popLocked() -> (Element, CheckedContinuation<Bool, Never>?) {
        guard let e = items[head] else { preconditionFailure("Channel: empty slot at the head") }
        items[head] = nil
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        var admitted: CheckedContinuation<Bool, Never>?
        if !senders.isEmpty {
            let s = senders.removeFirst()
            items.append(s.item)
            admitted = s.continuation
        }
        cond.broadcast()
        return (e, admitted)
    }

    /// Queues `item`, blocking the calling thread while the channel is full; false when it is closed.
    /// From a task, call it only on a channel with unlimited capacity (it then never blocks).
    @discardableResult
    func sendBlocking(_ item: Element) -> Bool {
        cond.lock()
        while !closed && receivers.isEmpty && count >= capacity { cond.wait() }
        if closed {
            cond.unlock()
            return false
        }
        if !receivers.isEmpty {
            let r = receivers.removeFirst()
            cond.unlock()
            r.resume(returning: item)
            return true
        }
        items.append(item)
        cond.broadcast()
        cond.unlock()
        return true
    }

    /// Queues `item`, suspending while the channel is full; false when it is closed.
    func send(_ item: Element) async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            cond.lock()
            if closed {
                cond.unlock()
                c.resume(returning: false)
            } else if !receivers.isEmpty {
                let r = receivers.removeFirst()
                cond.unlock()
                r.resume(returning: item)
                c.resume(returning: true)
            } else if count < capacity {
                items.append(item)
                cond.broadcast()
                cond.unlock()
                c.resume(returning: true)
            } else {
                senders.append((item, c))
                cond.unlock()
            }
        }
    }

    /// The next item, blocking the calling thread while there is none; nil once the channel is closed and empty.
    func receiveBlocking() -> Element? {
        cond.lock()
        while count == 0 && !closed { cond.wait() }
        guard count > 0 else {
            cond.unlock()
            return nil
        }
        let (e, admitted) = popLocked()
        cond.unlock()
        admitted?.resume(returning: true)
        return e
    }

    /// The next item, suspending while there is none; nil once the channel is closed and empty.
    func receive() async -> Element? {
        await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
            cond.lock()
            if count > 0 {
                let (e, admitted) = popLocked()
                cond.unlock()
                admitted?.resume(returning: true)
                c.resume(returning: e)
            } else if closed {
                cond.unlock()
                c.resume(returning: nil)
            } else {
                receivers.append(c)
                cond.unlock()
            }
        }
    }

    /// Refuses further sends; queued items can still be received. Wakes every waiter.
    func close() {
        cond.lock()
        closed = true
        let waitingReceivers = receivers
        let waitingSenders = senders
        receivers.removeAll()
        senders.removeAll()
        cond.broadcast()
        cond.unlock()
        for r in waitingReceivers { r.resume(returning: nil) }
        for s in waitingSenders { s.continuation.resume(returning: false) }
    }
}

/// Counts running threads; a task waits for the count to reach zero without blocking.
final class WaitGroup: @unchecked Sendable {
    // `count` and `waiters` are guarded by `lock`.
    private let lock = NSLock()
    private var count: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { self.count = count }

    /// Marks one thread finished.
    func done() {
        lock.lock()
        count -= 1
        let ready = count == 0 ? waiters : []
        if count == 0 { waiters.removeAll() }
        lock.unlock()
        for w in ready { w.resume() }
    }

    /// Returns once every thread has called ``done()``.
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if count == 0 {
                lock.unlock()
                c.resume()
            } else {
                waiters.append(c)
                lock.unlock()
            }
        }
    }
}
