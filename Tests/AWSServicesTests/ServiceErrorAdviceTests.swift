@testable import AWSServices
import Testing

/// The advice an AWS error message ends with fits the service and the error.
@Suite struct ServiceErrorAdviceTests {
    @Test func accessDeniedMentionsKMSOnlyWhereValuesAreEncrypted() {
        let cloudFront = AWSServiceError.service("CloudFront", "CreateInvalidation", code: "AccessDenied", message: nil, status: 403)
        #expect("\(cloudFront)".contains("allow CreateInvalidation for the AWS credentials in IAM"))
        #expect(!"\(cloudFront)".contains("kms:Decrypt"))
        let ssm = AWSServiceError.service("SSM", "GetParameters", code: "AccessDeniedException", message: nil, status: 400)
        #expect("\(ssm)".contains("(and kms:Decrypt for encrypted values)"))
    }

    @Test func serverFailuresSayToRetryNotToReadTheDocumentation() {
        for code in ["HTTP500", "InternalError", "ServiceUnavailable"] {
            let error = AWSServiceError.service("CloudFront", "CreateInvalidation", code: code, message: nil, status: 500)
            #expect(!"\(error)".contains("documentation"), "\(error)")
        }
        let other = AWSServiceError.service("S3", "PutObject", code: "InvalidStorageClass", message: nil, status: 400)
        #expect("\(other)".contains("see the S3 documentation for InvalidStorageClass"))
    }
}
