/// The steps SigV4 and SigV4A share: which headers or query parameters to add, the canonical
/// request, the string to sign and the assembled result. Only the algorithm name, the scope
/// and the final signing step differ between the two.
struct SigningProcedure {
    /// Query parameters the presigner owns; any already on the request are replaced.
    static let presignParameterNames: Set<String> = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Region-Set",
    ]

    /// Longest presigned URL lifetime SigV4 accepts: seven days.
    static let maximumExpiry = 604_800

    var algorithm: String
    var credentials: AWSCredentials
    var credentialScope: String
    var options: SigningOptions
    /// `X-Amz-Region-Set` for SigV4A; `nil` for SigV4.
    var regionSet: String?

    /// Adds `X-Amz-Date` (and the token, region set and content hash as configured) and the
    /// `Authorization` header; `sign` turns the string to sign into the hex signature.
    func signHeaders(_ request: SigningRequest, at date: AMZDate,
                     sign: (String) throws -> String) rethrows -> SignedRequest {
        let hashedPayload = request.payload.hashedValue
        var replaced: Set<String> = ["authorization", "x-amz-date"]
        var signedAdditions = [SigningRequest.Header("X-Amz-Date", date.timestamp)]
        var unsignedAdditions: [SigningRequest.Header] = []
        if let regionSet {
            replaced.insert("x-amz-region-set")
            signedAdditions.append(.init("X-Amz-Region-Set", regionSet))
        }
        if options.addsContentHashHeader {
            replaced.insert("x-amz-content-sha256")
            signedAdditions.append(.init("X-Amz-Content-SHA256", hashedPayload))
        }
        if let token = credentials.sessionToken {
            replaced.insert("x-amz-security-token")
            if options.omitsSessionTokenFromSignature {
                unsignedAdditions.append(.init("X-Amz-Security-Token", token))
            } else {
                signedAdditions.append(.init("X-Amz-Security-Token", token))
            }
        }
        let kept = request.headers.filter { !replaced.contains(ASCIICase.lowercased($0.name)) }
        let canonical = CanonicalRequest(method: request.method, path: request.path, query: request.query,
                                         headers: kept + signedAdditions, hashedPayload: hashedPayload,
                                         options: options)
        let stringToSign = makeStringToSign(canonical, date: date)
        let signature = try sign(stringToSign)
        let authorization = "\(algorithm) Credential=\(credentials.accessKeyId)/\(credentialScope), "
            + "SignedHeaders=\(canonical.signedHeaderList), Signature=\(signature)"
        var signed = request
        signed.headers = kept + signedAdditions + unsignedAdditions + [.init("Authorization", authorization)]
        return SignedRequest(request: signed, canonicalRequest: canonical.text, stringToSign: stringToSign,
                             signature: signature, signedHeaders: canonical.signedHeaders,
                             credentialScope: credentialScope, authorization: authorization)
    }

    /// Adds the `X-Amz-*` query parameters, ending with `X-Amz-Signature`, for a URL that is
    /// valid for `expires` seconds from `date`.
    func presign(_ request: SigningRequest, at date: AMZDate, expires: Int,
                 sign: (String) throws -> String) throws -> SignedRequest {
        guard (1...SigningProcedure.maximumExpiry).contains(expires) else { throw SigningError.invalidExpiry(expires) }
        let query = request.query.filter { !SigningProcedure.presignParameterNames.contains($0.name) }
        let headers = request.headers.filter { $0.name.lowercased() != "authorization" }
        let signedHeaderList = CanonicalRequest.canonicalHeaders(headers).map(\.name).joined(separator: ";")
        var parameters: [SigningRequest.QueryItem] = [
            .init("X-Amz-Algorithm", algorithm),
            .init("X-Amz-Credential", "\(credentials.accessKeyId)/\(credentialScope)"),
            .init("X-Amz-Date", date.timestamp),
            .init("X-Amz-SignedHeaders", signedHeaderList),
            .init("X-Amz-Expires", String(expires)),
        ]
        if let regionSet { parameters.append(.init("X-Amz-Region-Set", regionSet)) }
        var unsignedParameters: [SigningRequest.QueryItem] = []
        if let token = credentials.sessionToken {
            if options.omitsSessionTokenFromSignature {
                unsignedParameters.append(.init("X-Amz-Security-Token", token))
            } else {
                parameters.append(.init("X-Amz-Security-Token", token))
            }
        }
        let canonical = CanonicalRequest(method: request.method, path: request.path, query: query + parameters,
                                         headers: headers, hashedPayload: request.payload.hashedValue,
                                         options: options)
        let stringToSign = makeStringToSign(canonical, date: date)
        let signature = try sign(stringToSign)
        var signed = request
        signed.headers = headers
        signed.query = query + parameters + unsignedParameters + [.init("X-Amz-Signature", signature)]
        return SignedRequest(request: signed, canonicalRequest: canonical.text, stringToSign: stringToSign,
                             signature: signature, signedHeaders: canonical.signedHeaders,
                             credentialScope: credentialScope, authorization: nil)
    }

    private func makeStringToSign(_ canonical: CanonicalRequest, date: AMZDate) -> String {
        [algorithm, date.timestamp, credentialScope, SHA256.hash(Array(canonical.text.utf8)).hexString]
            .joined(separator: "\n")
    }
}
