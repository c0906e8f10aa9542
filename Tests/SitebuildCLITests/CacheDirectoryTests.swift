import Foundation
@testable import SitebuildCLI
import Testing

/// Where sitebuild keeps its state on a machine when HOME is unset (systemd units, `env -i`):
/// never a shared path in the temporary directory that another user could make first.
@Suite struct CacheDirectoryTests {
    @Test func withoutHomeTheUserDatabaseNamesTheHome() throws {
        let directory = BuildInvocation.cacheDirectory(["PATH": "/usr/bin"])
        #expect(directory.hasSuffix("/.cache/sitebuild"), "\(directory)")
        #expect(!directory.hasPrefix(NSTemporaryDirectory()), "\(directory)")
        #expect(BuildInvocation.cacheDirectory(["HOME": ""]) == directory, "an empty HOME is unset")
        #expect(BuildInvocation.cacheDirectory(["HOME": "/h"]) == "/h/.cache/sitebuild")
    }

    @Test func theTemporaryFallbackIsPrivateAndNeverAnotherUsersFolder() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cache-dir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let own = base + "/sitebuild-cache-\(geteuid())"

        #expect(BuildInvocation.privateTemporaryCache(in: base) == own)
        var info = stat()
        #expect(lstat(own, &info) == 0 && info.st_uid == geteuid() && info.st_mode & 0o777 == 0o700)
        #expect(BuildInvocation.privateTemporaryCache(in: base + "/") == own, "used again")

        // Made first by someone else: a link to their folder, or a folder others may write.
        try FileManager.default.removeItem(atPath: own)
        try FileManager.default.createDirectory(atPath: base + "/theirs", withIntermediateDirectories: true)
        #expect(symlink(base + "/theirs", own) == 0)
        let instead = BuildInvocation.privateTemporaryCache(in: base)
        #expect(instead != own && instead.hasPrefix(own + "-"), "\(instead)")
        #expect(lstat(instead, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_mode & 0o077 == 0)
        try FileManager.default.removeItem(atPath: own)
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        #expect(chmod(own, 0o777) == 0)
        #expect(BuildInvocation.privateTemporaryCache(in: base) != own)
    }
}
