import CCurl
import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// CA bundles parsed once per process and handed to every new TLS connection.
///
/// libcurl loads the CA file into each connection's own OpenSSL context: with the system
/// bundle (~140 certificates) that is ~40 ms of CPU and a few hundred KiB per connection, in
/// OpenSSL 3's PEM decoder. libcurl 7.87+ can keep one parsed store per multi handle, but only
/// when no CA directory is set, and Debian's and Ubuntu's libcurl are built with one
/// (/etc/ssl/certs), so it parsed the bundle again for every connection a deploy opened, and
/// the older libcurl of Ubuntu 22.04 (CodeBuild's images) never keeps it. Instead the transfer
/// sets no CA file, libcurl sets up the rest as before (its CA directory included), and a
/// CURLOPT_SSL_CTX_FUNCTION callback adds this bundle's already parsed certificates and CRLs
/// to the connection's store: the same trust, without the parse.
enum CABundleCache {
    /// Parsed bundles by path (nil: the file could not be read or holds no certificate; the
    /// transfer then names it to libcurl as before, which reports it). Kept for the process.
    private static let bundles = Mutex<[String: Bundle?]>([:])

    /// A parsed bundle: an X509_STORE only read after it is filled, so threads may share it.
    struct Bundle: @unchecked Sendable {
        let store: OpaquePointer
    }

    /// The bundle at `path`, parsed on first use; nil when it cannot be used this way (libcurl
    /// runs on another TLS library, or the file cannot be read), and libcurl reads the file.
    static func bundle(at path: String) -> Bundle? {
        guard curlSharesOurOpenSSL else { return nil }
        return bundles.withLock { bundles in
            if let known = bundles[path] { return known }
            let loaded = sb_ca_bundle_load(path).map { Bundle(store: $0) }
            bundles[path] = loaded
            return loaded
        }
    }

    /// Whether libcurl's TLS library is the OpenSSL this process links (the callback is handed
    /// an SSL_CTX of it), by version: `OpenSSL/3.0.19` in curl's version against ours.
    static let curlSharesOurOpenSSL: Bool = {
        guard let info = sb_curl_version_info(), let curlSSL = info.pointee.ssl_version else { return false }
        let ours = String(cString: OpenSSL_version(OPENSSL_VERSION)).split(separator: " ")
        guard ours.count >= 2, ours[0] == "OpenSSL" else { return false }
        return String(cString: curlSSL) == "OpenSSL/\(ours[1])"
    }()

    /// libcurl's built-in CA bundle, when the file exists: as libcurl reports it
    /// (CURLINFO_CAINFO, libcurl 7.84+), else, from an older libcurl (Ubuntu 22.04's 7.81 and
    /// Amazon Linux 2's 7.79, CodeBuild's images, which keep no parsed bundle at all), the one
    /// its build would have chosen (``defaultCAFile(reported:readable:)``). Nil when none is
    /// found: libcurl then reads its own default as before.
    static let libcurlDefaultCAFile: String? = {
        guard let easy = curl_easy_init() else { return nil }
        defer { curl_easy_cleanup(easy) }
        var path: UnsafePointer<CChar>?
        // An older libcurl does not know CURLINFO_CAINFO; a newer one built without a bundle says NULL.
        let known = sb_curl_getinfo_string(easy, CURLINFO_CAINFO, &path) == CURLE_OK
        return defaultCAFile(reported: known ? .some(path.map { String(cString: $0) }) : nil) { access($0, R_OK) == 0 }
    }()

    /// Where libcurl's configure looks for the system's CA bundle, in its order (the first that
    /// exists on the build machine becomes the built-in default): Debian and Ubuntu, Red Hat
    /// and Amazon Linux, old SuSE, FreeBSD, then OpenBSD, macOS and Alpine.
    static let systemCAFiles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                "/usr/share/ssl/certs/ca-bundle.crt", "/usr/local/share/certs/ca-root-nss.crt", "/etc/ssl/cert.pem"]

    /// The CA file libcurl trusts by default. `reported`: what libcurl says, nil when it is too
    /// old to say (then the first readable of ``systemCAFiles``, the one a libcurl built on
    /// this system chose), `.some(nil)` when it has none (then none). A reported file that
    /// cannot be read is not replaced: libcurl then fails on it as it would anyway.
    static func defaultCAFile(reported: String??, readable: (String) -> Bool) -> String? {
        guard let reported else { return systemCAFiles.first(where: readable) }
        return reported.flatMap { readable($0) ? $0 : nil }
    }
}
