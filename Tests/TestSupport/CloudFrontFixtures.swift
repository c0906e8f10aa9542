import Foundation

/// A minimal DistributionConfig moto accepts (S3 origin, CachePolicyId, an alias and an ACM certificate).
public func minimalDistributionConfig(callerReference: String, originDomain: String = "site-bucket.s3.us-east-1.amazonaws.com") -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">\
    <CallerReference>\(callerReference)</CallerReference>\
    <Aliases><Quantity>1</Quantity><Items><CNAME>www.example.com</CNAME></Items></Aliases>\
    <DefaultRootObject>index.html</DefaultRootObject>\
    <Origins><Quantity>1</Quantity><Items><Origin><Id>site</Id>\
    <DomainName>\(originDomain)</DomainName>\
    <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin></Items></Origins>\
    <DefaultCacheBehavior><TargetOriginId>site</TargetOriginId><ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>\
    <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior>\
    <Comment>sitebuild test</Comment><Enabled>true</Enabled>\
    <ViewerCertificate><ACMCertificateArn>arn:aws:acm:us-east-1:123456789012:certificate/abc</ACMCertificateArn>\
    <SSLSupportMethod>sni-only</SSLSupportMethod><MinimumProtocolVersion>TLSv1.2_2021</MinimumProtocolVersion></ViewerCertificate>\
    </DistributionConfig>
    """
}
