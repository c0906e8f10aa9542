import AWSCore
@testable import AWSServices
import Foundation
import Testing
import TestSupport

/// ACM DescribeCertificate and Route 53 zone and record reads (the `doctor` pre-flight
/// checks) against a real moto_server on loopback.
@Suite(.serialized) struct ACMRoute53Tests {
    private func acm(_ moto: MotoServer, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) -> ACMClient {
        ACMClient(credentials: moto.credentials, environment: moto.environment, httpClient: httpClient)
    }

    private func route53(_ moto: MotoServer, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) -> Route53Client {
        Route53Client(credentials: moto.credentials, environment: moto.environment, httpClient: httpClient)
    }

    // MARK: - ACM

    @Test func anImportedCertificateIsDescribed() async throws {
        try await withMotoServer { moto in
            let pem = try selfSignedCertificate(names: ["site.example.com", "*.site.example.com"], days: 30)
            let log = S3RequestLog(wrapping: AWSJSONClient.defaultHTTPClient())
            let client = acm(moto, httpClient: log)
            let arn = try await client.importCertificate(certificatePEM: pem.certificate, privateKeyPEM: pem.key)
            #expect(arn.hasPrefix("arn:aws:acm:us-east-1:"))

            let certificate = try await client.describeCertificate(arn: arn)
            #expect(certificate.arn == arn)
            #expect(certificate.domainName == "site.example.com")
            #expect(Set(certificate.subjectAlternativeNames) == ["site.example.com", "*.site.example.com"])
            #expect(certificate.status == "ISSUED")
            #expect(certificate.type == "IMPORTED")
            #expect(certificate.inUse == false)
            let notAfter = try #require(certificate.notAfter)
            // Thirty days of validity, give or take the clock skew of a day.
            #expect(notAfter > Date().addingTimeInterval(29 * 86400))
            #expect(notAfter < Date().addingTimeInterval(31 * 86400))
            #expect(certificate.covers("www.site.example.com"))
            #expect(certificate.covers("site.example.com."))
            #expect(!certificate.covers("a.b.site.example.com"))
            #expect(!certificate.covers("example.com"))

            let describe = try #require(log.all.last)
            #expect(describe.header("X-Amz-Target") == "CertificateManager.DescribeCertificate")
            #expect(describe.header("Content-Type") == "application/x-amz-json-1.1")
            #expect(describe.header("Authorization")?.contains("/us-east-1/acm/aws4_request") == true)
        }
    }

    @Test func aRequestedCertificateIsDescribedAndAMissingOneIsAServiceError() async throws {
        try await withMotoServer { moto in
            let client = acm(moto)
            let arn = try await client.requestCertificate(domainName: "example.org", subjectAlternativeNames: ["example.org", "www.example.org"])
            let certificate = try await client.describeCertificate(arn: arn)
            #expect(certificate.domainName == "example.org")
            #expect(Set(certificate.subjectAlternativeNames) == ["example.org", "www.example.org"])
            #expect(!certificate.status.isEmpty)
            #expect(certificate.type == "AMAZON_ISSUED")
            #expect(certificate.inUse == false)

            let missing = await #expect(throws: AWSServiceError.self) {
                try await client.describeCertificate(arn: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000")
            }
            #expect(missing?.errorCode == "ResourceNotFoundException")
            #expect(missing.map { "\($0)" }?.hasPrefix("ACM DescribeCertificate failed with ResourceNotFoundException") == true)
        }
    }

    // MARK: - Route 53

    @Test func aHostedZoneWithAnAliasRecordIsListedBack() async throws {
        try await withMotoServer { moto in
            let log = S3RequestLog(wrapping: AWSJSONClient.defaultHTTPClient())
            let client = route53(moto, httpClient: log)
            _ = try await client.createHostedZone(name: "another.test")
            let zone = try await client.createHostedZone(name: "example.com")
            #expect(zone.name == "example.com.")
            #expect(!zone.id.isEmpty && !zone.id.hasPrefix("/"))

            let cloudFront = Route53Client.AliasTarget(hostedZoneId: Route53Client.cloudFrontHostedZoneId,
                                                       dnsName: "d111111abcdef8.cloudfront.net")
            try await client.changeResourceRecordSets(hostedZoneId: "/hostedzone/" + zone.id, changes: [
                .init(action: "UPSERT", recordSet: .init(name: "www.example.com", type: "A", aliasTarget: cloudFront)),
                .init(action: "CREATE", recordSet: .init(name: "example.com", type: "TXT", ttl: 300, values: ["\"v=spf1 -all\""])),
            ], comment: "sitebuild test")

            let zones = try await client.listHostedZonesByName(dnsName: "example.com")
            #expect(zones.first?.id == zone.id)
            #expect(zones.first?.name == "example.com.")
            #expect(zones.first?.privateZone == false)

            let records = try await client.listResourceRecordSets(hostedZoneId: zone.id, startName: "www.example.com", startType: "A")
            let alias = try #require(records.first { $0.name == "www.example.com." && $0.type == "A" })
            #expect(alias.aliasTarget?.dnsName.hasPrefix("d111111abcdef8.cloudfront.net") == true)
            #expect(alias.aliasTarget?.hostedZoneId == Route53Client.cloudFrontHostedZoneId)
            #expect(alias.values.isEmpty)

            let all = try await client.listResourceRecordSets(hostedZoneId: zone.id)
            let txt = try #require(all.first { $0.type == "TXT" })
            #expect(txt.name == "example.com.")
            #expect(txt.ttl == 300)
            #expect(txt.values == ["\"v=spf1 -all\""])
            #expect(all.contains { $0.type == "SOA" })

            let list = try #require(log.all.last)
            #expect(list.method == "GET")
            #expect(list.url == moto.baseURL + "/2013-04-01/hostedzone/\(zone.id)/rrset")
            #expect(list.header("Authorization")?.contains("/us-east-1/route53/aws4_request") == true)
            let byName = try #require(log.all.first { $0.url.contains("hostedzonesbyname") })
            #expect(byName.url == moto.baseURL + "/2013-04-01/hostedzonesbyname?dnsname=example.com")
        }
    }

    @Test func aMissingZoneIsAServiceError() async throws {
        try await withMotoServer { moto in
            let error = await #expect(throws: AWSServiceError.self) {
                _ = try await route53(moto).listResourceRecordSets(hostedZoneId: "ZNOSUCHZONE")
            }
            #expect(error?.errorCode == "NoSuchHostedZone")
            #expect(error.map { "\($0)" }?.hasPrefix("Route 53 ListResourceRecordSets failed with NoSuchHostedZone") == true)
        }
    }

    @Test func endpoints() {
        let credentials = EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])
        #expect(Route53Client(credentials: credentials, environment: [:]).endpoint == AWSEndpoint(url: "https://route53.amazonaws.com", source: "default"))
        #expect(Route53Client(credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                                                                      "AWS_ENDPOINT_URL_ROUTE_53": "http://127.0.0.1:2"]).endpoint
                == AWSEndpoint(url: "http://127.0.0.1:2", source: "AWS_ENDPOINT_URL_ROUTE_53"))
        #expect(Route53Client(credentials: credentials, environment: [:], endpointURL: "http://127.0.0.1:3").endpoint.source == "--endpoint-url")
        #expect(ACMClient(credentials: credentials, environment: [:]).client.endpoint.url == "https://acm.us-east-1.amazonaws.com")
        #expect(ACMClient(credentials: credentials, environment: ["AWS_ENDPOINT_URL_ACM": "http://127.0.0.1:4"]).client.endpoint.url
                == "http://127.0.0.1:4")
        // The China partition has its own Route 53 endpoint and signing region.
        for region in ["cn-north-1", "cn-northwest-1"] {
            let china = Route53Client(credentials: credentials, environment: [:], region: region)
            #expect(china.endpoint == AWSEndpoint(url: "https://route53.amazonaws.com.cn", source: "default"))
            #expect(china.signingRegion == "cn-northwest-1")
        }
        #expect(Route53Client(credentials: credentials, environment: [:], region: "eu-west-1").signingRegion == "us-east-1")
        #expect(AWSPartition.dnsSuffix(of: "cn-north-1") == "amazonaws.com.cn" && AWSPartition.dnsSuffix(of: "us-gov-west-1") == "amazonaws.com")
        #expect(Route53Client.bareId("/hostedzone/Z1") == "Z1")
        #expect(Route53Client.bareId("Z1") == "Z1")
        #expect(Route53Client.bareId("/change/C2") == "C2")
    }
}
