import CCurl
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One curl multi handle driven by one dedicated thread. Every transfer of a client runs on
/// it, so they share the multi handle's connection cache (keep-alive reuse) and its limits.
///
/// Tasks hand transfers over through a Mutex-protected inbox and wake the thread through an
/// eventfd. The thread uses curl's socket interface: curl names the sockets it wants watched
/// (CURLMOPT_SOCKETFUNCTION) and its next timeout (CURLMOPT_TIMERFUNCTION), the thread waits
/// for them with epoll and tells curl only about the sockets that are ready
/// (curl_multi_socket_action). A wake-up therefore costs in proportion to what happened, not
/// to the number of transfers in flight, as curl_multi_perform + curl_multi_poll did.
final class CurlEventLoop: @unchecked Sendable {
    // @unchecked: `multi`, `active`, `timerDeadline` and the epoll set are used only by the
    // loop thread (curl calls the socket and timer callbacks on it). Everything else that
    // crosses threads goes through `inbox`, and wake-ups through the eventfd.

    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var cancelled: [CurlTransfer] = []
        var shuttingDown = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private let epoll: Int32
    private let wakeFD: Int32
    /// When curl next wants CURL_SOCKET_TIMEOUT, or nil when it has no timer.
    private var timerDeadline: ContinuousClock.Instant?

    /// Starts the loop thread. Connections are limited to `maxConnectionsPerHost` per host and
    /// `maxTotalConnections` overall; transfers beyond that wait inside curl for a free one.
    init(maxConnectionsPerHost: Int, maxTotalConnections: Int) {
        CurlEventLoop.globalInit
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = multi
        _ = sb_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = sb_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxTotalConnections)
        // The idle-connection cache: large enough to keep every allowed connection alive.
        _ = sb_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxTotalConnections)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard epoll >= 0, wakeFD >= 0 else { fatalError("epoll_create1/eventfd failed: errno \(errno)") }
        var wake = epoll_event()
        wake.events = EPOLLIN.rawValue
        wake.data.fd = wakeFD
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &wake)
        // The loop lives as long as its thread; the callbacks get it back from this pointer.
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = sb_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, context)
        _ = sb_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, context)
        _ = sb_curl_multi_setopt_socketfunction(multi) { _, socket, what, context, _ in
            Unmanaged<CurlEventLoop>.fromOpaque(context!).takeUnretainedValue().watch(socket: socket, what: what)
            return 0
        }
        _ = sb_curl_multi_setopt_timerfunction(multi) { _, milliseconds, context in
            Unmanaged<CurlEventLoop>.fromOpaque(context!).takeUnretainedValue().setTimer(milliseconds: milliseconds)
            return 0
        }
        let thread = Thread { [self] in run() }
        thread.name = "sitebuild-curl"
        thread.start()
    }

    /// curl_global_init is not thread-safe; Swift runs a static initializer exactly once.
    private static let globalInit: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    /// Queues `transfer`; the loop resumes its continuation when it ends.
    func submit(_ transfer: CurlTransfer) {
        let accepted = inbox.withLock { inbox in
            guard !inbox.shuttingDown else { return false }
            inbox.submitted.append(transfer)
            return true
        }
        if accepted {
            wakeUp()
        } else {
            transfer.finish(.failure(HTTPClientError.clientShutDown(url: transfer.request.url)))
        }
    }

    /// Stops `transfer` and resumes its task with CancellationError, wherever it is.
    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelRequested.store(true, ordering: .sequentiallyConsistent)
        inbox.withLock { $0.cancelled.append(transfer) }
        wakeUp()
    }

    /// Fails the transfers still running and ends the thread, which frees the multi handle.
    func shutdown() {
        inbox.withLock { $0.shuttingDown = true }
        wakeUp()
    }

    /// Wakes the loop thread from any thread.
    private func wakeUp() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: - Loop thread

    /// CURLMOPT_SOCKETFUNCTION: watch `socket` for what curl asks (in, out, both), or stop.
    private func watch(socket: curl_socket_t, what: Int32) {
        if what == CURL_POLL_REMOVE {
            _ = epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
            return
        }
        var event = epoll_event()
        var flags: UInt32 = 0
        if what == CURL_POLL_IN || what == CURL_POLL_INOUT { flags |= EPOLLIN.rawValue }
        if what == CURL_POLL_OUT || what == CURL_POLL_INOUT { flags |= EPOLLOUT.rawValue }
        event.events = flags
        event.data.fd = socket
        if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT {
            _ = epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event)
        }
    }

    /// CURLMOPT_TIMERFUNCTION: call back with CURL_SOCKET_TIMEOUT after `milliseconds`
    /// (-1: no timer).
    private func setTimer(milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : ContinuousClock.now + .milliseconds(milliseconds)
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 128)
        var running: Int32 = 0
        while true {
            let work = inbox.withLock { inbox in
                defer { inbox.submitted = []; inbox.cancelled = [] }
                return (submitted: inbox.submitted, cancelled: inbox.cancelled, stop: inbox.shuttingDown)
            }
            for transfer in work.submitted { add(transfer) }
            for transfer in work.cancelled { remove(transfer, with: .failure(CancellationError())) }
            if work.stop { break }

            var wait: Int32 = 1000
            if let deadline = timerDeadline {
                let left = deadline - ContinuousClock.now
                let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                wait = left <= .zero ? 0 : Int32(min(1000, max(1, milliseconds)))
            }
            let count = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), wait) }
            if count > 0 {
                for event in events[0..<Int(count)] {
                    let fd = event.data.fd
                    if fd == wakeFD {
                        var value: UInt64 = 0
                        _ = read(wakeFD, &value, 8)
                        continue
                    }
                    var flags: Int32 = 0
                    if event.events & EPOLLIN.rawValue != 0 { flags |= CURL_CSELECT_IN }
                    if event.events & EPOLLOUT.rawValue != 0 { flags |= CURL_CSELECT_OUT }
                    if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { flags |= CURL_CSELECT_ERR }
                    _ = curl_multi_socket_action(multi, fd, flags, &running)
                }
            }
            if let deadline = timerDeadline, deadline <= ContinuousClock.now {
                timerDeadline = nil
                _ = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
            }
            collectFinished()
        }
        for transfer in Array(active.values) {
            remove(transfer, with: .failure(HTTPClientError.clientShutDown(url: transfer.request.url)))
        }
        curl_multi_cleanup(multi)
        close(epoll)
        close(wakeFD)
    }

    private func add(_ transfer: CurlTransfer) {
        // A cancellation that came before the transfer reached the loop is honoured here.
        if transfer.cancelRequested.load(ordering: .sequentiallyConsistent) {
            transfer.finish(.failure(CancellationError()))
            return
        }
        let code = curl_multi_add_handle(multi, transfer.easy)
        guard code == CURLM_OK else {
            let reason = "curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(code)))"
            transfer.finish(.failure(HTTPClientError.invalidRequest(reason, url: transfer.request.url)))
            return
        }
        active[transfer.easy] = transfer
    }

    /// Takes `transfer` out of the multi handle (if it is still there) and resumes its task.
    private func remove(_ transfer: CurlTransfer, with result: Result<HTTPResponse, any Error>) {
        guard let current = active[transfer.easy], current === transfer else { return }
        active[transfer.easy] = nil
        _ = curl_multi_remove_handle(multi, transfer.easy)
        transfer.finish(result)
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = active[easy] else { continue }
            let result = transfer.outcome(of: sb_curl_msg_result(message))
            remove(transfer, with: result)
        }
    }
}
