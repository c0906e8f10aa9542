import AWSServices
import ArgumentParser

/// `--sse`, `--sse-kms-key-id` and `--acl`, with the aws CLI's names and values: what every
/// object a command writes to S3 carries (the site's objects, copies, the state under
/// `_sitebuild/`, `watch`'s state objects and the `--cache s3://…` entries), for buckets whose
/// policy denies uploads without them.
struct S3WriteOptions: ParsableArguments {
    @Option(help: "Server-side encryption of every object written to S3: AES256, aws:kms or aws:kms:dsse (as aws s3 cp --sse). Default: the bucket's.")
    var sse: String?

    @Option(help: "The KMS key (id, alias or ARN) with --sse aws:kms or aws:kms:dsse (as aws s3 cp --sse-kms-key-id). Default: the bucket's, else aws/s3.")
    var sseKmsKeyId: String?

    @Option(help: "A canned ACL for every object written to S3, such as bucket-owner-full-control (as aws s3 cp --acl). Default: none sent.")
    var acl: String?

    func validate() throws {
        let encryptions = S3Client.ObjectWriteSettings.encryptions
        if let sse, !encryptions.contains(sse) {
            throw ValidationError("--sse \(sse): write one of \(encryptions.joined(separator: ", "))")
        }
        // That a key comes with aws:kms is checked once sitebuild.yml is read (its `sse:` counts).
        if sseKmsKeyId?.isEmpty == true {
            throw ValidationError("--sse-kms-key-id is empty (an unset variable?): give a KMS key id, alias or ARN, or leave the flag out")
        }
        let acls = S3Client.ObjectWriteSettings.cannedACLs
        if let acl, !acls.contains(acl) {
            throw ValidationError("--acl \(acl): write a canned ACL, one of \(acls.joined(separator: ", "))")
        }
    }

    /// `configured` (sitebuild.yml's) with each setting given here in its place.
    func over(_ configured: S3Client.ObjectWriteSettings) -> S3Client.ObjectWriteSettings {
        S3Client.ObjectWriteSettings(serverSideEncryption: sse ?? configured.serverSideEncryption,
                                     kmsKeyId: sseKmsKeyId ?? configured.kmsKeyId, acl: acl ?? configured.acl)
    }

    /// ``over(_:)``, refused (a usage error) when it names a KMS key without aws:kms or aws:kms:dsse.
    func settings(over configured: S3Client.ObjectWriteSettings) throws -> S3Client.ObjectWriteSettings {
        let settings = over(configured)
        if let key = settings.kmsKeyId, settings.serverSideEncryption != "aws:kms" && settings.serverSideEncryption != "aws:kms:dsse" {
            throw UsageError("the KMS key \(key) (--sse-kms-key-id or sitebuild.yml's sse-kms-key-id) needs sse aws:kms or aws:kms:dsse "
                             + "(--sse or sitebuild.yml's sse)")
        }
        return settings
    }

    /// The flags as given, to pass on to another command (`watch`'s runs).
    var arguments: [String] {
        [("--sse", sse), ("--sse-kms-key-id", sseKmsKeyId), ("--acl", acl)].flatMap { flag, value in value.map { [flag, $0] } ?? [] }
    }
}
