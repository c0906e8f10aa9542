@testable import AWSServices
import Testing

/// The advice an AWS error message ends with fits the service and the error.
@Suite struct ServiceErrorAdviceTests {
    @Test func accessDeniedMentionsKMSOnlyWhereValuesAreEncrypted() {
        let cloudFront = AWSServiceError.service("CloudFront", "CreateInvalidation", code: "AccessDenied", message: nil, status: 403)
        #expect("\(cloudFront)".contains("allow cloudfront:CreateInvalidation for the AWS credentials in IAM"))
        #expect(!"\(cloudFront)".contains("kms:Decrypt"))
        let ssm = AWSServiceError.service("SSM", "GetParameters", code: "AccessDeniedException", message: nil, status: 400)
        #expect("\(ssm)".contains("(and kms:Decrypt for encrypted values)"))
    }

    /// Access denied names the IAM action a policy must allow, which for S3 is not always the
    /// operation's name (there is no `ListObjectsV2` or `UploadPart` action).
    @Test func accessDeniedNamesTheIAMAction() {
        let s3: [(String, String)] = [("ListObjectsV2", "s3:ListBucket"), ("HeadBucket", "s3:ListBucket"),
                                      ("ListMultipartUploads", "s3:ListBucketMultipartUploads"), ("DeleteObjects", "s3:DeleteObject"),
                                      ("UploadPart", "s3:PutObject"), ("CreateMultipartUpload", "s3:PutObject"),
                                      ("CompleteMultipartUpload", "s3:PutObject"), ("PutObject", "s3:PutObject"),
                                      ("CopyObject", "s3:PutObject (and s3:GetObject on the object copied)"),
                                      ("UploadPartCopy", "s3:PutObject (and s3:GetObject on the object copied)"),
                                      ("HeadObject", "s3:GetObject"), ("GetObject", "s3:GetObject"),
                                      ("AbortMultipartUpload", "s3:AbortMultipartUpload")]
        for (operation, action) in s3 {
            let error = AWSServiceError.service("S3", operation, code: "AccessDenied", message: "Access Denied", status: 403)
            #expect("\(error)".contains("; allow \(action) for the AWS credentials in IAM"), "\(error)")
        }
        for (service, operation, action) in [("DynamoDB", "UpdateItem", "dynamodb:UpdateItem"),
                                             ("CloudFront KeyValueStore", "PutKey", "cloudfront-keyvaluestore:PutKey"),
                                             ("CloudFront", "DescribeKeyValueStore", "cloudfront:DescribeKeyValueStore"),
                                             ("Route 53", "ChangeResourceRecordSets", "route53:ChangeResourceRecordSets"),
                                             ("Secrets Manager", "GetSecretValue", "secretsmanager:GetSecretValue")] {
            let error = AWSServiceError.service(service, operation, code: "AccessDeniedException", message: nil, status: 400)
            #expect("\(error)".contains("; allow \(action) for the AWS credentials in IAM"), "\(error)")
        }
    }

    @Test func serverFailuresSayToRetryNotToReadTheDocumentation() {
        for code in ["HTTP500", "InternalError", "ServiceUnavailable"] {
            let error = AWSServiceError.service("CloudFront", "CreateInvalidation", code: code, message: nil, status: 500)
            #expect(!"\(error)".contains("documentation"), "\(error)")
        }
        let other = AWSServiceError.service("S3", "PutObject", code: "InvalidStorageClass", message: nil, status: 400)
        #expect("\(other)".contains("see the S3 documentation for InvalidStorageClass"))
    }

    /// S3's answer to another service's request (an endpoint, or an emulator, without that
    /// service) says so, where S3's own is left to S3's advice.
    @Test func anS3AnswerToAnotherServiceNamesTheEndpoint() {
        let kvs = AWSServiceError.service("CloudFront", "DescribeKeyValueStore", code: "NoSuchBucket", message: nil, status: 404)
        #expect("\(kvs)".contains("that is S3's answer, not CloudFront's: the endpoint does not serve CloudFront (check --endpoint-url"), "\(kvs)")
        let s3 = AWSServiceError.service("S3", "HeadObject", code: "NoSuchBucket", message: nil, status: 404)
        #expect(!"\(s3)".contains("S3's answer"), "\(s3)")
    }
}
