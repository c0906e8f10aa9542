import CCurl
import Foundation
import Synchronization

/// One curl multi handle driven by one dedicated thread. Every transfer of a client runs on
/// it, so they share the multi handle's connection cache (keep-alive reuse) and its limits.
///
/// Tasks hand transfers over through a Mutex-protected inbox and wake the thread with
/// curl_multi_wakeup; the thread adds them, runs curl_multi_perform, resumes the tasks of
/// finished transfers, and sleeps in curl_multi_poll.
final class CurlEventLoop: @unchecked Sendable {
    // @unchecked: `multi` is used only by the loop thread, except curl_multi_wakeup, which
    // libcurl documents as callable from any thread. `active` is touched only by the loop
    // thread. Everything else that crosses threads goes through `inbox`.

    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var cancelled: [CurlTransfer] = []
        var shuttingDown = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

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
            curl_multi_wakeup(multi)
        } else {
            transfer.finish(.failure(HTTPClientError.clientShutDown(url: transfer.request.url)))
        }
    }

    /// Stops `transfer` and resumes its task with CancellationError, wherever it is.
    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelRequested.store(true, ordering: .sequentiallyConsistent)
        inbox.withLock { $0.cancelled.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Fails the transfers still running and ends the thread, which frees the multi handle.
    func shutdown() {
        inbox.withLock { $0.shuttingDown = true }
        curl_multi_wakeup(multi)
    }

    // MARK: - Loop thread

    private func run() {
        while true {
            let work = inbox.withLock { inbox in
                defer { inbox.submitted = []; inbox.cancelled = [] }
                return (submitted: inbox.submitted, cancelled: inbox.cancelled, stop: inbox.shuttingDown)
            }
            for transfer in work.submitted { add(transfer) }
            for transfer in work.cancelled { remove(transfer, with: .failure(CancellationError())) }
            if work.stop { break }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for transfer in Array(active.values) {
            remove(transfer, with: .failure(HTTPClientError.clientShutDown(url: transfer.request.url)))
        }
        curl_multi_cleanup(multi)
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
