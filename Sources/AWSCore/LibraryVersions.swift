import CCurl
import COpenSSL

/// The C libraries the AWS layer runs on, for `sitebuild --version`.
public enum AWSCoreLibraries {
    /// `libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 …`: curl and what it was built with.
    public static var curl: String {
        String(cString: curl_version())
    }

    /// `OpenSSL 3.0.17 1 Jul 2025`: the libcrypto signing and hashing use.
    public static var openSSL: String {
        String(cString: OpenSSL_version(OPENSSL_VERSION))
    }
}
