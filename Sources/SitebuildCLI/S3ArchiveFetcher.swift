import AWSServices
import BuildRunner

/// Downloads `s3://` sources with the command's S3 client, streamed to a file.
struct S3ArchiveFetcher: RemoteArchiveFetcher {
    let context: AWSContext

    func download(bucket: String, key: String, to path: String) async throws {
        let url = "s3://\(bucket)/\(key)"
        let client: S3Client
        do {
            client = try context.s3(for: "--source \(url)")
        } catch {
            throw SourceError(.invalidInput, "\(error)")
        }
        do {
            _ = try await client.getObject(bucket: bucket, key: key, toFile: path)
        } catch let error as AWSServiceError {
            let missing = error.status == 404 || error.errorCode == "NoSuchKey" || error.errorCode == "NoSuchBucket"
            throw SourceError(missing ? .invalidInput : .unavailable,
                              error.errorCode == "NoSuchBucket"
                                ? "\(url): there is no bucket \(bucket); check the bucket name (and --region / --endpoint-url)"
                                : missing ? "\(url): no such object; check the bucket and key (and --region / --endpoint-url)"
                                  : "\(url): the download failed: \(error)")
        }
    }
}
