import AWSCore
@testable import AWSServices
import Foundation
import Testing
import TestSupport

/// Answers every request with one canned response and keeps what was sent.
final class CloudFrontCannedHTTPClient: HTTPClient, @unchecked Sendable {
    // @unchecked: `sent` is only touched under `lock`.
    private let response: HTTPResponse
    private let lock = NSLock()
    private var sent: [(request: HTTPRequest, body: HTTPRequestBody)] = []

    init(_ response: HTTPResponse) { self.response = response }

    var requests: [HTTPRequest] { lock.withLock { sent.map(\.request) } }
    var bodies: [[UInt8]] {
        lock.withLock {
            sent.map { item -> [UInt8] in if case .bytes(let bytes) = item.body { bytes } else { [] } }
        }
    }

    func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        lock.withLock { sent.append((request, body)) }
        return response
    }
}

extension MotoServer {
    func cloudFront() -> CloudFrontClient {
        CloudFrontClient(credentials: credentials, environment: environment)
    }
}

@Suite struct CloudFrontOfflineTests {
    let credentials = EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])

    @Test func theEndpointIsGlobalAndFollowsTheSDKOrder() {
        #expect(CloudFrontClient.endpoint(environment: [:]) == AWSEndpoint(url: "https://cloudfront.amazonaws.com", source: "default"))
        #expect(CloudFrontClient.endpoint(environment: [:], region: "eu-west-1").url == "https://cloudfront.amazonaws.com")
        #expect(CloudFrontClient.endpoint(environment: [:], region: "cn-north-1").url == "https://cloudfront.cn-northwest-1.amazonaws.com.cn")
        #expect(CloudFrontClient.endpoint(environment: ["AWS_ENDPOINT_URL": "http://generic:1"]).source == "AWS_ENDPOINT_URL")
        #expect(CloudFrontClient.endpoint(option: "http://option:2", environment: ["AWS_ENDPOINT_URL": "http://generic:1"])
            == AWSEndpoint(url: "http://option:2", source: "--endpoint-url"))
        #expect(CloudFrontClient.endpoint(option: "http://option:2",
                                          environment: ["AWS_ENDPOINT_URL": "http://generic:1", "AWS_ENDPOINT_URL_CLOUDFRONT": "http://cf:3/"])
            == AWSEndpoint(url: "http://cf:3", source: "AWS_ENDPOINT_URL_CLOUDFRONT"))
        let china = CloudFrontClient(credentials: credentials, environment: [:], region: "cn-northwest-1")
        #expect(china.signingRegion == "cn-northwest-1")
        #expect(CloudFrontClient(credentials: credentials, environment: [:], region: "eu-west-1").signingRegion == "us-east-1")
    }

    @Test func invalidationPathsAreEncodedOnceAndEscapedInTheBatch() {
        #expect(CloudFrontClient.encodeInvalidationPath("/a b/ü.html") == "/a%20b/%C3%BC.html")
        #expect(CloudFrontClient.encodeInvalidationPath("/a%20b/%C3%BC.html") == "/a%20b/%C3%BC.html")
        #expect(CloudFrontClient.encodeInvalidationPath("/assets/*") == "/assets/*")
        #expect(CloudFrontClient.encodeInvalidationPath("/q?x#y") == "/q%3Fx%23y")
        #expect(CloudFrontClient.encodeInvalidationPath("/100%") == "/100%25")
        #expect(CloudFrontClient.encodeInvalidationPath("/a&b+c~d'e") == "/a&b+c~d'e")
        let xml = CloudFrontClient.invalidationBatchXML(paths: ["/a&b.html", "/x y", "/*"], callerReference: "ref<1>")
        #expect(xml.hasSuffix("<InvalidationBatch xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Paths><Quantity>3</Quantity>"
            + "<Items><Path>/a&amp;b.html</Path><Path>/x%20y</Path><Path>/*</Path></Items></Paths>"
            + "<CallerReference>ref&lt;1&gt;</CallerReference></InvalidationBatch>"))
        let root = try? S3XML.parse(Array(xml.utf8))
        #expect(root?.elements("Paths", "Items", "Path").map(\.text) == ["/a&b.html", "/x%20y", "/*"])
    }

    @Test func createInvalidationIsASignedXMLPostToTheGlobalService() async throws {
        let answer = #"<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>I1</Id>"#
            + "<Status>InProgress</Status><CreateTime>2025-01-02T03:04:05Z</CreateTime><InvalidationBatch><Paths><Quantity>1</Quantity>"
            + "<Items><Path>/a%20b</Path></Items></Paths><CallerReference>r</CallerReference></InvalidationBatch></Invalidation>"
        let http = CloudFrontCannedHTTPClient(HTTPResponse(status: 201, body: Array(answer.utf8)))
        let client = CloudFrontClient(credentials: credentials, environment: [:], httpClient: http)
        let invalidation = try await client.createInvalidation(distributionId: "E2ABC", paths: ["/a b"], callerReference: "r")
        #expect(invalidation == CloudFrontClient.Invalidation(id: "I1", status: "InProgress", createTime: "2025-01-02T03:04:05Z",
                                                              paths: ["/a%20b"], callerReference: "r"))
        #expect(!invalidation.isCompleted)
        let request = try #require(http.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == "https://cloudfront.amazonaws.com/2020-05-31/distribution/E2ABC/invalidation")
        #expect(request.header("Content-Type") == "application/xml")
        #expect(request.header("Host") == "cloudfront.amazonaws.com")
        let authorization = request.header("Authorization") ?? ""
        #expect(authorization.contains("/us-east-1/cloudfront/aws4_request"))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date"))
        #expect(request.header("x-amz-content-sha256") == nil)
        #expect(String(decoding: http.bodies.first ?? [], as: UTF8.self).contains("<Path>/a%20b</Path>"))
    }

    @Test func errorResponsesCarryTheirCodeAndMessage() async throws {
        let body = #"<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type>"#
            + "<Code>TooManyInvalidationsInProgress</Code><Message>Processing your request will exceed the limit.</Message></Error>"
            + "<RequestId>r-1</RequestId></ErrorResponse>"
        let http = CloudFrontCannedHTTPClient(HTTPResponse(status: 400, body: Array(body.utf8)))
        let client = CloudFrontClient(credentials: credentials, environment: [:], httpClient: http)
        let error = await #expect(throws: AWSServiceError.self) {
            _ = try await client.createInvalidation(distributionId: "E1", paths: ["/*"], callerReference: "r")
        }
        #expect(error?.errorCode == CloudFrontClient.ErrorCode.tooManyInvalidationsInProgress)
        #expect(error?.status == 400)
        #expect(error?.isCloudFrontThrottling == true)
        #expect(error.map { "\($0)" }?.contains("CloudFront CreateInvalidation failed with TooManyInvalidationsInProgress (HTTP 400): "
            + "Processing your request will exceed the limit.") == true)

        // A body that is not an error document gets a code from its status.
        let html = CloudFrontCannedHTTPClient(HTTPResponse(status: 404, body: Array("<!doctype html><p>Not Found".utf8)))
        let missing = await #expect(throws: AWSServiceError.self) {
            _ = try await CloudFrontClient(credentials: credentials, environment: [:], httpClient: html).getDistribution(id: "E1")
        }
        #expect(missing?.errorCode == "NotFound")
        #expect(missing?.isCloudFrontThrottling == false)
    }

    @Test func aDistributionIsReadWithItsFunctionsCertificateAndOrigins() throws {
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
          <Id>E2QWRUHEXAMPLE</Id>
          <ARN>arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE</ARN>
          <Status>Deployed</Status>
          <LastModifiedTime>2025-01-02T03:04:05.678Z</LastModifiedTime>
          <InProgressInvalidationBatches>2</InProgressInvalidationBatches>
          <DomainName>d111111abcdef8.cloudfront.net</DomainName>
          <DistributionConfig>
            <CallerReference>cdk-1</CallerReference>
            <Aliases><Quantity>2</Quantity><Items><CNAME>example.com</CNAME><CNAME>www.example.com</CNAME></Items></Aliases>
            <DefaultRootObject>index.html</DefaultRootObject>
            <Origins><Quantity>2</Quantity><Items>
              <Origin><Id>s3</Id><DomainName>site.s3.us-east-1.amazonaws.com</DomainName><OriginPath>/www</OriginPath></Origin>
              <Origin><Id>api</Id><DomainName>api.example.com</DomainName></Origin>
            </Items></Origins>
            <DefaultCacheBehavior>
              <TargetOriginId>s3</TargetOriginId>
              <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>
              <LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>
              <FunctionAssociations><Quantity>2</Quantity><Items>
                <FunctionAssociation><FunctionARN>arn:aws:cloudfront::123456789012:function/router</FunctionARN><EventType>viewer-request</EventType></FunctionAssociation>
                <FunctionAssociation><FunctionARN>arn:aws:cloudfront::123456789012:function/headers</FunctionARN><EventType>viewer-response</EventType></FunctionAssociation>
              </Items></FunctionAssociations>
              <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId>
            </DefaultCacheBehavior>
            <CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern>
              <FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation><FunctionARN>arn:aws:cloudfront::123456789012:function/other</FunctionARN><EventType>viewer-request</EventType></FunctionAssociation></Items></FunctionAssociations>
            </CacheBehavior></Items></CacheBehaviors>
            <Comment>site</Comment>
            <Enabled>true</Enabled>
            <ViewerCertificate>
              <ACMCertificateArn>arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012</ACMCertificateArn>
              <SSLSupportMethod>sni-only</SSLSupportMethod>
              <MinimumProtocolVersion>TLSv1.2_2021</MinimumProtocolVersion>
            </ViewerCertificate>
          </DistributionConfig>
        </Distribution>
        """
        let distribution = try CloudFrontClient.parseDistribution(S3XML.parse(Array(xml.utf8)), etag: "E3ETAG", operation: "GetDistribution")
        #expect(distribution == CloudFrontClient.Distribution(
            id: "E2QWRUHEXAMPLE", arn: "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE", status: "Deployed",
            domainName: "d111111abcdef8.cloudfront.net", aliases: ["example.com", "www.example.com"], enabled: true,
            functionAssociations: [
                .init(eventType: "viewer-request", functionARN: "arn:aws:cloudfront::123456789012:function/router"),
                .init(eventType: "viewer-response", functionARN: "arn:aws:cloudfront::123456789012:function/headers"),
            ],
            acmCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
            originDomainNames: ["site.s3.us-east-1.amazonaws.com", "api.example.com"], originPaths: ["/www", ""],
            originIds: ["s3", "api"], originIsS3: [false, false], defaultOriginId: "s3",
            inProgressInvalidationBatches: 2, etag: "E3ETAG"))

        let plain = """
        <Distribution><Id>E1</Id><DistributionConfig><Enabled>false</Enabled>\
        <ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><ACMCertificateArn></ACMCertificateArn>\
        </ViewerCertificate></DistributionConfig></Distribution>
        """
        let minimal = try CloudFrontClient.parseDistribution(S3XML.parse(Array(plain.utf8)), etag: nil, operation: "GetDistribution")
        #expect(minimal.acmCertificateArn == nil)
        #expect(!minimal.enabled)
        #expect(minimal.aliases.isEmpty && minimal.functionAssociations.isEmpty && minimal.originDomainNames.isEmpty)
        #expect(throws: AWSServiceError.self) {
            _ = try CloudFrontClient.parseDistribution(S3XML.parse(Array("<Other/>".utf8)), etag: nil, operation: "GetDistribution")
        }
    }

    /// Lambda@Edge associations as GetDistribution returns them: the default cache behavior's
    /// are read (a DynamoDB or S3 pointer is routed by one), another behavior's are not.
    @Test func theDefaultCacheBehaviorsLambdaEdgeFunctionsAreRead() throws {
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
          <Id>E2QWRUHEXAMPLE</Id>
          <Status>Deployed</Status>
          <DomainName>d111111abcdef8.cloudfront.net</DomainName>
          <DistributionConfig>
            <CallerReference>cdk-1</CallerReference>
            <Origins><Quantity>1</Quantity><Items>
              <Origin><Id>s3</Id><DomainName>site.s3.us-east-1.amazonaws.com</DomainName><OriginPath></OriginPath>
                <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin>
            </Items></Origins>
            <DefaultCacheBehavior>
              <TargetOriginId>s3</TargetOriginId>
              <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
              <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>
              <SmoothStreaming>false</SmoothStreaming>
              <Compress>true</Compress>
              <LambdaFunctionAssociations>
                <Quantity>2</Quantity>
                <Items>
                  <LambdaFunctionAssociation>
                    <LambdaFunctionARN>arn:aws:lambda:us-east-1:123456789012:function:router:3</LambdaFunctionARN>
                    <EventType>origin-request</EventType>
                    <IncludeBody>false</IncludeBody>
                  </LambdaFunctionAssociation>
                  <LambdaFunctionAssociation>
                    <LambdaFunctionARN>arn:aws:lambda:us-east-1:123456789012:function:headers:1</LambdaFunctionARN>
                    <EventType>viewer-response</EventType>
                    <IncludeBody>false</IncludeBody>
                  </LambdaFunctionAssociation>
                </Items>
              </LambdaFunctionAssociations>
              <FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>
              <FieldLevelEncryptionId></FieldLevelEncryptionId>
              <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId>
            </DefaultCacheBehavior>
            <CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern>
              <LambdaFunctionAssociations><Quantity>1</Quantity><Items><LambdaFunctionAssociation>
                <LambdaFunctionARN>arn:aws:lambda:us-east-1:123456789012:function:api:7</LambdaFunctionARN>
                <EventType>viewer-request</EventType><IncludeBody>true</IncludeBody>
              </LambdaFunctionAssociation></Items></LambdaFunctionAssociations>
            </CacheBehavior></Items></CacheBehaviors>
            <Comment>site</Comment>
            <Enabled>true</Enabled>
          </DistributionConfig>
        </Distribution>
        """
        let distribution = try CloudFrontClient.parseDistribution(S3XML.parse(Array(xml.utf8)), etag: nil, operation: "GetDistribution")
        #expect(distribution.functionAssociations.isEmpty)
        #expect(distribution.lambdaFunctionAssociations == [
            .init(eventType: "origin-request", lambdaFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:router:3"),
            .init(eventType: "viewer-response", lambdaFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:headers:1"),
        ])
    }

    @Test func anInvalidationListIsReadWithItsMarker() throws {
        let xml = #"<InvalidationList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Marker></Marker><NextMarker>I2</NextMarker>"#
            + "<MaxItems>2</MaxItems><IsTruncated>true</IsTruncated><Quantity>2</Quantity><Items>"
            + "<InvalidationSummary><Id>I1</Id><CreateTime>t1</CreateTime><Status>InProgress</Status></InvalidationSummary>"
            + "<InvalidationSummary><Id>I2</Id><CreateTime>t2</CreateTime><Status>Completed</Status></InvalidationSummary></Items></InvalidationList>"
        let page = CloudFrontClient.parseInvalidationList(try S3XML.parse(Array(xml.utf8)))
        #expect(page.items.map(\.id) == ["I1", "I2"])
        #expect(page.items.map(\.isInProgress) == [true, false])
        #expect(page.nextMarker == "I2")
        let last = CloudFrontClient.parseInvalidationList(try S3XML.parse(Array(xml.replacingOccurrences(of: ">true<", with: ">false<").utf8)))
        #expect(last.nextMarker == nil)
    }
}

/// DescribeFunction and the errors moto cannot produce, against the loopback stand-in.
@Suite(.serialized) struct CloudFrontStandInTests {
    @Test func describeFunctionReturnsTheLiveStageAndItsKeyValueStore() async throws {
        try await withCloudFrontTestServer { server in
            let function = try await server.client().describeFunction(name: "sitebuild-router")
            #expect(function == CloudFrontClient.FunctionDescription(
                name: "sitebuild-router", functionARN: CloudFrontTestServer.functionARN, stage: "LIVE", status: "DEPLOYED",
                runtime: "cloudfront-js-2.0", keyValueStoreARNs: [CloudFrontTestServer.kvsARN], etag: "E2QWRUHEXAMPLE"))
            let error = await #expect(throws: AWSServiceError.self) {
                _ = try await server.client().describeFunction(name: "missing")
            }
            #expect(error?.errorCode == CloudFrontClient.ErrorCode.noSuchFunctionExists)
            #expect(error?.status == 404)
        }
    }

    @Test func createInvalidationSendsAWellFormedBatch() async throws {
        try await withCloudFrontTestServer { server in
            let paths = ["/", "/a b.html", "/ü/index.html", "/a&b.html", "/q?.html", "/assets/*"]
            let invalidation = try await server.client().createInvalidation(distributionId: "E1", paths: paths,
                                                                            callerReference: "sitebuild-v1-<&>")
            #expect(invalidation.id == "I2J0I21PCUYOIK")
            #expect(invalidation.status == "InProgress")
            #expect(invalidation.paths == ["/", "/a%20b.html", "/%C3%BC/index.html", "/a&b.html", "/q%3F.html", "/assets/*"])
            #expect(invalidation.callerReference == "sitebuild-v1-<&>")
        }
    }

    @Test func throttlingAnswersAreRecognisable() async throws {
        try await withCloudFrontTestServer { server in
            let busy = await #expect(throws: AWSServiceError.self) {
                _ = try await server.client().createInvalidation(distributionId: "EBUSY", paths: ["/*"], callerReference: "r")
            }
            #expect(busy?.errorCode == "TooManyInvalidationsInProgress")
            #expect(busy?.isCloudFrontThrottling == true)
            let slow = await #expect(throws: AWSServiceError.self) {
                _ = try await server.client().createInvalidation(distributionId: "ESLOW", paths: ["/*"], callerReference: "r")
            }
            #expect(slow?.errorCode == "Throttling")
            #expect(slow?.isCloudFrontThrottling == true)
            #expect(slow?.status == 400)
        }
    }
}

/// CloudFront against a real moto_server on loopback.
@Suite(.serialized) struct CloudFrontClientTests {
    @Test func aDistributionIsCreatedAndRead() async throws {
        try await withMotoServer { moto in
            let client = moto.cloudFront()
            let created = try await client.createDistribution(configXML: minimalDistributionConfig(callerReference: "dist-1"))
            #expect(!created.id.isEmpty)
            #expect(created.etag != nil)
            let distribution = try await client.getDistribution(id: created.id)
            #expect(distribution.id == created.id)
            #expect(distribution.arn?.hasSuffix("distribution/\(created.id)") == true)
            #expect(distribution.status != nil)
            #expect(distribution.domainName?.hasSuffix(".cloudfront.net") == true)
            #expect(distribution.aliases == ["www.example.com"])
            #expect(distribution.enabled)
            #expect(distribution.acmCertificateArn == "arn:aws:acm:us-east-1:123456789012:certificate/abc")
            #expect(distribution.originDomainNames == ["site-bucket.s3.us-east-1.amazonaws.com"])
            #expect(distribution.etag?.isEmpty == false)
        }
    }

    @Test func invalidationsAreCreatedReadAndListed() async throws {
        try await withMotoServer { moto in
            let client = moto.cloudFront()
            let distribution = try await client.createDistribution(configXML: minimalDistributionConfig(callerReference: "dist-2"))
            let paths = ["/index.html", "/my page.html", "/ünïcode/index.html", "/a&b.css", "/assets/*"]
            let encoded = ["/index.html", "/my%20page.html", "/%C3%BCn%C3%AFcode/index.html", "/a&b.css", "/assets/*"]
            let created = try await client.createInvalidation(distributionId: distribution.id, paths: paths, callerReference: "sitebuild-v1-abc")
            #expect(!created.id.isEmpty)
            #expect(created.paths == encoded)
            #expect(created.callerReference == "sitebuild-v1-abc")
            #expect(created.createTime != nil)

            let read = try await client.getInvalidation(distributionId: distribution.id, id: created.id)
            #expect(read.id == created.id)
            #expect(read.paths == encoded)
            #expect(read.isCompleted)  // moto completes at once; CloudFront takes minutes

            let second = try await client.createInvalidation(distributionId: distribution.id, paths: ["/other.css"], callerReference: "sitebuild-v2-def")
            let listed = try await client.listInvalidations(distributionId: distribution.id)
            #expect(Set(listed.map(\.id)) == [created.id, second.id])
            #expect(listed.allSatisfy { !$0.status.isEmpty })
            #expect(try await client.listInvalidations(distributionId: distribution.id, inProgressOnly: true).isEmpty)
        }
    }

    @Test func unknownDistributionsAndInvalidationsAreServiceErrors() async throws {
        try await withMotoServer { moto in
            let client = moto.cloudFront()
            let error = await #expect(throws: AWSServiceError.self) { _ = try await client.getDistribution(id: "ENOPE") }
            #expect(error?.errorCode == CloudFrontClient.ErrorCode.noSuchDistribution)
            #expect(error?.status == 404)
            #expect(error?.isCloudFrontThrottling == false)
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("CloudFront GetDistribution failed with NoSuchDistribution (HTTP 404): The specified distribution does not exist."))

            let create = await #expect(throws: AWSServiceError.self) {
                _ = try await client.createInvalidation(distributionId: "ENOPE", paths: ["/a"], callerReference: "r")
            }
            #expect(create?.errorCode == "NoSuchDistribution")

            let distribution = try await client.createDistribution(configXML: minimalDistributionConfig(callerReference: "dist-3"))
            let missing = await #expect(throws: AWSServiceError.self) {
                _ = try await client.getInvalidation(distributionId: distribution.id, id: "INOPE")
            }
            #expect(missing?.errorCode == CloudFrontClient.ErrorCode.noSuchInvalidation)
            #expect(missing?.status == 404)
        }
    }
}
