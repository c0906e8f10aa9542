import Foundation
import Testing

/// `unshare --pid --fork --mount-proc`, when it works on this machine.
let pidNamespaceLauncher: [String]? = {
    guard let unshare = ["/usr/bin/unshare", "/bin/unshare"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let launcher = [unshare, "--pid", "--fork", "--mount-proc"]
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: unshare)
    probe.arguments = Array(launcher.dropFirst()) + ["/bin/true"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return nil }
    probe.waitUntilExit()
    return probe.terminationStatus == 0 ? launcher : nil
}()

/// sitebuild as PID 1 of its PID namespace, as the container image's entrypoint runs it
/// (`docker run sitebuild run`, no --init): the binary is started by
/// `unshare --pid --fork --mount-proc`, which needs root (or user namespaces).
@Suite(.enabled(if: pidNamespaceLauncher != nil, "unshare cannot make a PID namespace here (it needs root)"))
struct PIDOneTests {
    /// The pid (in this test's namespace) of the sitebuild that `unshare` started.
    static func sitebuild(under unshare: Process) throws -> pid_t {
        let children = "/proc/\(unshare.processIdentifier)/task/\(unshare.processIdentifier)/children"
        for _ in 0..<1_500 {
            let text = (try? String(contentsOfFile: children, encoding: .utf8)) ?? ""
            if let pid = text.split(separator: " ").first.flatMap({ pid_t($0) }) { return pid }
            usleep(20_000)
        }
        throw CocoaError(.fileNoSuchFile)
    }

    /// Waits up to about a minute for `process` to end; false if it did not (it is then killed).
    static func ended(_ process: Process, killing inner: pid_t) -> Bool {
        for _ in 0..<3_000 where process.isRunning { usleep(20_000) }
        guard process.isRunning else { return true }
        kill(inner, SIGKILL)
        process.waitUntilExit()
        return false
    }

    /// A command's background process whose shell exits first is re-parented to PID 1; when it
    /// exits it stayed a zombie for the rest of the build (the log below said 2). sitebuild
    /// now reaps such orphans, and only them: its commands' own exit statuses stay theirs.
    @Test func orphansThatExitAreReapedAndCommandsKeepTheirExitStatus() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              pre_build:
                commands:
                  - (true &); (exit 0)
                  - (true &); nohup true >/dev/null 2>&1 &
                  - (true &); true
              build:
                commands:
                  - (sleep 0.3 & echo $! > orphan-a.pid); nohup sh -c 'sleep 0.2' >/dev/null 2>&1 & echo $! > orphan-b.pid
                  - |
                    zombies() { n=0; for f in /proc/[0-9]*/stat; do read -r line < "$f" 2>/dev/null || continue; set -- ${line##*) }; [ "$1" = Z ] && n=$((n+1)); done; echo $n; }
                    for p in $(cat orphan-a.pid orphan-b.pid); do i=0; while [ $i -lt 300 ] && [ -e /proc/$p ] && ! grep -q ') Z ' /proc/$p/stat; do sleep 0.1; i=$((i+1)); done; done
                    i=0; while [ $i -lt 150 ] && [ "$(zombies)" != 0 ]; do sleep 0.1; i=$((i+1)); done
                    echo "zombies left: $(zombies)"
                  - (true &); exit 3
              post_build:
                commands:
                  - echo post-build-ran
            """)
        let launcher = try #require(pidNamespaceLauncher)
        let result = try h.run(["build"], launcher: launcher)
        let log = result.stdout + result.stderr
        #expect(log.contains("zombies left: 0\n"), "\(log)")
        #expect(log.contains("Phase complete: PRE_BUILD State: SUCCEEDED"), "\(log)")
        #expect(log.contains("Command did not exit successfully (true &); exit 3 exit status 3"), "\(log)")
        #expect(log.contains("post-build-ran"), "\(log)")
        #expect(result.status == 1, "\(log)")
    }

    /// `docker stop` sends PID 1 SIGTERM: a build stops as it does elsewhere (exit 130, the
    /// command's group stopped).
    @Test func sigtermStopsABuild() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - touch started; sleep 600
                  - touch second-command-ran
            """)
        let launcher = try #require(pidNamespaceLauncher)
        let (process, out, err) = try h.start(["build", "--json"], launcher: launcher)
        let inner = try Self.sitebuild(under: process)
        for _ in 0..<3_000 where !h.exists("started") { usleep(20_000) }
        #expect(h.exists("started"))
        kill(inner, SIGTERM)
        #expect(Self.ended(process, killing: inner))
        let output = CLIHarness.collect(process, out, err)
        #expect(output.status == 130, "\(output.stderr)")
        let last = output.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("\"status\":\"STOPPED\""), "\(output.stdout)")
        #expect(!h.exists("second-command-ran"))
    }

    /// Outside a build (here `versions`, waiting on an endpoint that never answers) SIGTERM
    /// was dropped by the kernel, PID 1 having no handler for it: `docker stop` waited its
    /// 10 s and killed sitebuild. It now ends it as the default action would (143).
    @Test func sigtermStopsACommandThatHasNoSignalHandlingOfItsOwn() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound && listen(listener, 8) == 0)
        let port = UInt16(bigEndian: address.sin_port)

        let h = try CLIHarness()
        let launcher = try #require(pidNamespaceLauncher)
        let (process, out, err) = try h.start(["versions", "--target", "s3://bucket/site", "--endpoint-url", "http://127.0.0.1:\(port)",
                                               "--region", "us-east-1"],
                                              environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"],
                                              launcher: launcher)
        let inner = try Self.sitebuild(under: process)
        // Its request is under way once its connection waits to be accepted (never, here).
        var pending = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pending, 1, 60_000) == 1)
        kill(inner, SIGTERM)
        #expect(Self.ended(process, killing: inner))
        let output = CLIHarness.collect(process, out, err)
        #expect(output.status == 128 + SIGTERM, "\(output.stderr)")
    }
}
