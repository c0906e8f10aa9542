import Foundation

/// A self-signed certificate and its private key (PEM), made with the openssl CLI, for
/// importing into ACM on moto_server or serving TLS on loopback. The first name is the common
/// name; every name is a subject alternative name (an IPv4 address as one, `IP:`).
public func selfSignedCertificate(names: [String], days: Int) throws -> (certificate: String, key: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-cert-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let certificatePath = directory.appendingPathComponent("cert.pem").path
    let keyPath = directory.appendingPathComponent("key.pem").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certificatePath,
                         "-days", String(days), "-subj", "/CN=\(names[0])",
                         "-addext", "subjectAltName=" + names.map { (isIPv4($0) ? "IP:" : "DNS:") + $0 }.joined(separator: ",")]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let certificate = FileManager.default.contents(atPath: certificatePath),
          let key = FileManager.default.contents(atPath: keyPath) else {
        throw TestServerSetupError("openssl req -x509 failed with status \(process.terminationStatus)")
    }
    return (String(decoding: certificate, as: UTF8.self), String(decoding: key, as: UTF8.self))
}

private func isIPv4(_ name: String) -> Bool {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
}
