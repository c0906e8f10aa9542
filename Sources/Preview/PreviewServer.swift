import AWSCore
import Foundation

/// A small HTTP/1.1 server for `sitebuild serve`: one thread per connection, keep-alive,
/// GET and HEAD. It binds to loopback only unless told otherwise.
public final class PreviewServer: @unchecked Sendable {
    // @unchecked: `listener` is set once in `start` before any thread reads it.
    let site: PreviewSite
    let host: String
    var listener: Int32 = -1
    public private(set) var port: Int = 0
    let log: @Sendable (String) -> Void
    /// How long a kept-alive connection may stay idle before it is closed, and how long a
    /// response may wait for a client that does not read it.
    let idleTimeout: Int
    /// Connections served at once (a thread each); counted down by `run`.
    let connectionSlots: DispatchSemaphore

    public init(site: PreviewSite, host: String = "127.0.0.1", port: Int, idleTimeout: Int = 30, maxConnections: Int = 256,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.site = site
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.connectionSlots = DispatchSemaphore(value: maxConnections)
        self.log = log
    }

    /// Binds and listens; afterwards `port` is the real port (useful with port 0). `host` is an
    /// IPv4 or IPv6 address or a name (`localhost`), bound at its first address.
    public func start() throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(host, String(port), &hints, &found)
        guard lookup == 0, let first = found else {
            throw PreviewError("--host \(host): not an address or a name this machine can resolve (\(String(cString: gai_strerror(lookup))))")
        }
        defer { freeaddrinfo(found) }
        // IPv4 first when a name has both (localhost): what browsers and curl try first too.
        var chosen = first
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let current = candidate {
            if current.pointee.ai_family == AF_INET { chosen = current; break }
            candidate = current.pointee.ai_next
        }
        let family = chosen.pointee.ai_family
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PreviewError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, chosen.pointee.ai_addr, chosen.pointee.ai_addrlen) == 0 else {
            let code = errno
            let reason = String(cString: strerror(code))
            close(fd)
            if code == EADDRNOTAVAIL {
                throw PreviewError("--host \(host): not an address of this machine (\(reason)); use 127.0.0.1, localhost, ::1 or 0.0.0.0")
            }
            throw PreviewError("--port \(port): cannot listen on \(host):\(port) (\(reason)); choose another port")
        }
        guard listen(fd, 128) == 0 else {
            close(fd)
            throw PreviewError("cannot listen: \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = withUnsafePointer(to: &actual) { pointer in
            family == AF_INET6
                ? pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
                : pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        listener = fd
    }

    /// Accepts connections until the process ends, serving at most `maxConnections` at once:
    /// more wait in the listen queue (the kernel's, not a thread each) until one ends.
    public func run() -> Never {
        while true {
            connectionSlots.wait()
            let client = accept(listener, nil, nil)
            if client < 0 {
                connectionSlots.signal()
                // Out of descriptors (this process's or the system's) or kernel memory: accept
                // fails at once until a connection ends, and retrying at once would spin a core.
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(errno) { usleep(100_000) }
                continue
            }
            Thread.detachNewThread { [self] in
                handle(client)
                close(client)
                connectionSlots.signal()
            }
        }
    }

    /// Serves requests on one connection until it closes or asks to.
    func handle(_ fd: Int32) {
        // Idle for `idleTimeout` between requests, or a client that stops reading a response
        // for as long: the connection ends, and its thread with it.
        var timeout = timeval(tv_sec: idleTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            // Read until the end of the header block.
            var headerEnd: Int?
            while headerEnd == nil {
                headerEnd = Self.findHeaderEnd(buffer)
                if headerEnd != nil { break }
                guard buffer.count < 65536 else {
                    // Still in the request line: the URI is what is too long.
                    if !buffer.indices.dropLast().contains(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                        return respondRaw(fd, 414, "URI Too Long")
                    }
                    return respondRaw(fd, 431, "Request Header Fields Too Large")
                }
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
            buffer.removeFirst(headerEnd! + 4)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count == 3 else { return respondRaw(fd, 400, "Bad Request") }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            // Skip a request body; previews take none.
            if let length = headers["content-length"].flatMap(Int.init), length > 0 {
                var remaining = length - min(length, buffer.count)
                buffer.removeFirst(min(length, buffer.count))
                while remaining > 0 {
                    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, remaining), 0) }
                    if n <= 0 { return }
                    remaining -= n
                }
            }
            // CloudFront refuses a URL over 8,192 bytes with 414; the preview does the same
            // rather than serve what the deployed site would not.
            guard requestLine[1].utf8.count <= Self.maximumURILength else { return respondRaw(fd, 414, "URI Too Long") }
            let method = String(requestLine[0])
            let target = Self.originForm(String(requestLine[1]))
            let version = String(requestLine[2])
            let response = site.respond(method: method, target: target, headers: headers)
            // A chunked body is not read: answer, then close rather than misread it as the next request.
            let chunked = headers["transfer-encoding"] != nil
            let keepAlive = !chunked && (version == "HTTP/1.1" ? headers["connection"]?.lowercased() != "close"
                                                             : headers["connection"]?.lowercased() == "keep-alive")
            log("\(Self.escapingControls(method)) \(Self.escapingControls(target)) \(response.status)")
            guard write(fd, response, keepAlive: keepAlive) else { return }
            if !keepAlive { return }
        }
    }

    /// `text` with its control characters (C0, DEL, C1) shown as `\xNN` or `\u{NNNN}`, for
    /// the log: a request line's bytes come from any client, and written raw to a terminal
    /// they would be escape sequences (moving the cursor, rewriting earlier lines). A
    /// backslash is doubled, so an escape shown is never one the client typed.
    static func escapingControls(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: shown += "\\\\"
            case 0..<0x20, 0x7F: shown += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 2)
            case 0x80...0x9F: shown += "\\u{" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4) + "}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    /// The path and query of a request target. HTTP/1.1 servers must accept the absolute form
    /// (`GET http://host/a?b HTTP/1.1`, as proxies send it); the host part is not used.
    static func originForm(_ target: String) -> String {
        let lower = target.prefix(8).lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return target }
        let afterScheme = target[target.index(target.startIndex, offsetBy: lower.hasPrefix("http://") ? 7 : 8)...]
        guard let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return afterScheme[slash] == "?" ? "/" + afterScheme[slash...] : String(afterScheme[slash...])
    }

    /// CloudFront's quota for the length of a request's URL, query string included.
    static let maximumURILength = 8192

    static func findHeaderEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    func write(_ fd: Int32, _ response: PreviewResponse, keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        // A header with a line break (a manifest written by hand or by an older sitebuild) is
        // left out: it would split the response.
        for (name, value) in response.headers where !name.contains(where: \.isNewline) && !value.contains(where: \.isNewline) {
            head += "\(name): \(value)\r\n"
        }
        head += "Date: \(UTCTime.httpDate(Date()))\r\n"
        head += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        guard send(fd, Array(head.utf8)) else { return false }
        switch response.body {
        case .none: return true
        case .bytes(let bytes): return send(fd, bytes)
        case .file(let path, let offset, let length):
            let file = open(path, O_RDONLY | O_CLOEXEC)
            guard file >= 0 else { return false }
            defer { close(file) }
            var position = off_t(offset)
            var remaining = length
            while remaining > 0 {
                let n = sendfile(fd, file, &position, Int(min(remaining, 1 << 20)))
                if n <= 0 { return false }
                remaining -= Int64(n)
            }
            return true
        }
    }

    func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    func respondRaw(_ fd: Int32, _ status: Int, _ message: String) {
        let body = Array((message + "\n").utf8)
        _ = write(fd, PreviewResponse(status: status, headers: [("Content-Type", "text/plain"), ("Content-Length", String(body.count))],
                                      body: .bytes(body)), keepAlive: false)
        // A lingering close: the client may still be sending the request this answers, and
        // closing with its bytes unread would reset the connection, which can discard the
        // answer before the client reads it. Read and drop what comes (1 MiB, 1 s at most).
        shutdown(fd, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var scratch = [UInt8](repeating: 0, count: 16384)
        var drained = 0
        while drained < 1 << 20 {
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            drained += n
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 412: return "Precondition Failed"
        case 414: return "URI Too Long"
        case 416: return "Range Not Satisfiable"
        case 431: return "Request Header Fields Too Large"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

public struct PreviewError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
