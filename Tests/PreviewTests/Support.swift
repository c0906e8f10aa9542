import Deploy
import Foundation
import Preview
import SiteContent
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temporary directory, removed when released.
final class TempDir: @unchecked Sendable {
    let path: String

    init(_ label: String = "preview-tests") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { relative.isEmpty ? path : path + "/" + relative }

    @discardableResult
    func write(_ relative: String, _ contents: [UInt8]) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents).write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    func write(_ relative: String, _ contents: String) throws -> String { try write(relative, Array(contents.utf8)) }
}

func pseudoRandomBytes(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}

/// The repository root: the nearest directory above this file that holds Package.swift.
func repositoryRoot(_ file: String = #filePath) throws -> String {
    var dir = (file as NSString).deletingLastPathComponent
    while dir.count > 1 {
        if FileManager.default.fileExists(atPath: dir + "/Package.swift") { return dir }
        dir = (dir as NSString).deletingLastPathComponent
    }
    throw PreviewError("no Package.swift above \(file)")
}

/// The absolute path of `name` in /usr/bin, /usr/local/bin or on PATH.
func findExecutable(_ name: String) -> String? {
    var candidates = ["/usr/bin/" + name, "/usr/local/bin/" + name]
    if let path = ProcessInfo.processInfo.environment["PATH"] {
        candidates += path.split(separator: ":").map { "\($0)/\(name)" }
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

func runProcess(_ executable: String, _ arguments: [String], currentDirectory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read stderr on another thread so neither pipe can fill up and block the child.
    nonisolated(unsafe) var errData = Data()
    let errDone = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        errDone.signal()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    errDone.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

// MARK: - A deployed site behind a real preview server

final class ServedSite: @unchecked Sendable {
    let dir: TempDir
    let source: String
    let root: String
    let pointerPath: String
    let deployer: Deployer
    let server: PreviewServer
    var port: Int { server.port }

    static let blob = pseudoRandomBytes(100 * 1024, seed: 42)
    static let files: [(String, [UInt8])] = [
        ("index.html", Array("<!doctype html><h1>home, version one</h1>\n".utf8)),
        ("about.html", Array("<h1>about</h1>\n".utf8)),
        ("docs/index.html", Array("<h1>docs index</h1>\n".utf8)),
        ("404.html", Array("<h1>custom not found</h1>\n".utf8)),
        ("assets/app.css", Array("body { margin: 0 }\n".utf8)),
        ("data/blob.bin", blob),
        ("caf\u{E9}.html", Array("<p>caf\u{E9}</p>\n".utf8)),
        ("c++.html", Array("<p>plus</p>\n".utf8)),
        ("c  .html", Array("<p>spaces</p>\n".utf8)),
        ("100%.html", Array("<p>percent</p>\n".utf8)),
    ]

    /// Deploys the standard tree (unless `deploy` is false) and starts a server on a free port.
    init(mode: RoutingMode = .static, trailingSlash: TrailingSlash = .none, deploy: Bool = true) async throws {
        dir = try TempDir("preview-site")
        source = dir.url("src")
        root = dir.url("target")
        pointerPath = root + "/_sitebuild/live"
        for (path, bytes) in Self.files { try dir.write("src/" + path, bytes) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        deployer = Deployer(target: LocalTarget(root: root), pointer: LocalPointerStore(path: pointerPath),
                            builder: ManifestBuilder(mode: mode))
        if deploy { _ = try await deployer.deploy(directory: source) }
        let site = PreviewSite(root: root, pointerPath: pointerPath, router: Router(mode: mode, trailingSlash: trailingSlash))
        // A long idle window: a test that keeps a connection open across a deploy must not
        // depend on the deploy finishing within the default 30 s on a loaded CI machine.
        server = PreviewServer(site: site, host: "127.0.0.1", port: 0, idleTimeout: 600)
        try server.start()
        let server = self.server
        Thread.detachNewThread { server.run() }
    }

    func writeSource(_ relative: String, _ text: String) throws { try dir.write("src/" + relative, text) }

    var live: String? {
        FileManager.default.contents(atPath: pointerPath).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func manifest() throws -> Manifest {
        let version = try unwrap(live, "live version")
        return try Manifest.parse(try unwrap(FileManager.default.contents(atPath: root + "/_sitebuild/manifests/\(version).json"), "manifest"))
    }
}

/// Unwraps a value in helpers (outside test functions), with a message.
func unwrap<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw PreviewError("missing \(what)") }
    return value
}

// MARK: - A minimal HTTP/1.1 client over a raw socket

struct HTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// Bytes the server sent after this response before closing (read with `Connection: close`).
    var trailing: [UInt8] = []

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    func headers(named name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

final class HTTPConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PreviewError("socket: \(errno)") }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw PreviewError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw PreviewError("send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    static func requestBytes(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    func send(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws {
        try send(Self.requestBytes(method, target, headers: headers, body: body))
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw PreviewError("recv: \(String(cString: strerror(errno))) (timeout?)") }
        if n == 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// Reads one response; the body is read by Content-Length, except for HEAD and for
    /// 1xx/204/304, which have none by definition.
    func readResponse(method: String = "GET") throws -> HTTPResponse {
        var end: Int?
        while true {
            if buffer.count >= 4 {
                for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    end = i
                    break
                }
            }
            if end != nil { break }
            guard try fill() else { throw PreviewError("connection closed before a complete response header") }
        }
        let head = String(decoding: buffer[0..<end!], as: UTF8.self)
        buffer.removeFirst(end! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw PreviewError("bad status line: \(head.prefix(80))")
        }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw PreviewError("bad header line: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = HTTPResponse(status: status, headers: headers, body: [])
        let noBody = method == "HEAD" || status == 304 || status == 204 || status < 200
        if !noBody, let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText) else { throw PreviewError("bad Content-Length \(lengthText)") }
            while buffer.count < length {
                guard try fill() else { throw PreviewError("connection closed after \(buffer.count) of \(length) body bytes") }
            }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        }
        return response
    }

    /// Everything left until the server closes the connection.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer = [] }
        return buffer
    }
}

/// One request on its own connection with `Connection: close`; `trailing` holds any bytes
/// after the response, so a body sent where none belongs shows up there.
func request(_ port: Int, _ method: String = "GET", _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> HTTPResponse {
    let connection = try HTTPConnection(port: port)
    try connection.send(method, target, headers: headers + [("Connection", "close")], body: body)
    var response = try connection.readResponse(method: method)
    response.trailing = try connection.readToEnd()
    return response
}
