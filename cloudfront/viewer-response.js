// sitebuild viewer-response function (runtime cloudfront-js-2.0).
//
// S3 stores only a few standard headers with an object (Content-Type,
// Cache-Control, Content-Encoding, Content-Disposition, Content-Language,
// Expires). The headers a site
// sets with `headers[].set` in sitebuild.yml (X-Frame-Options,
// Content-Security-Policy, Strict-Transport-Security, ...) travel as object
// metadata, `x-amz-meta-header-<name>`, which S3 returns as that header. This
// function turns each one back into `<name>` on the way to the viewer and drops
// the metadata header. A header the response already has is left as it is
// (a response headers policy or the origin set it), and names CloudFront does
// not let a function add or change are skipped, so the function never makes
// CloudFront answer 502.
//
// Associate it with the same cache behaviours as function.js, as the
// viewer-response function. CloudFront runs viewer-response functions only for
// origin answers below 400.

var PREFIX = 'x-amz-meta-header-';

// Headers CloudFront Functions may not add (CloudFront rejects the response)
// or may only read in a viewer response.
var REFUSED = {
  'connection': 1, 'expect': 1, 'keep-alive': 1, 'proxy-authenticate': 1, 'proxy-authorization': 1,
  'proxy-connection': 1, 'trailer': 1, 'upgrade': 1, 'x-cache': 1, 'x-forwarded-proto': 1, 'x-real-ip': 1,
  'content-encoding': 1, 'content-length': 1, 'transfer-encoding': 1, 'warning': 1, 'via': 1
};
var REFUSED_PREFIXES = ['x-accel-', 'x-amz-cf-', 'x-amzn-', 'x-edge-'];

function allowed(name) {
  if (name === '' || REFUSED[name]) return false;
  for (var i = 0; i < REFUSED_PREFIXES.length; i++) {
    if (name.indexOf(REFUSED_PREFIXES[i]) === 0) return false;
  }
  return /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name);
}

function handler(event) {
  var response = event.response;
  var headers = response.headers;
  var names = Object.keys(headers);
  for (var i = 0; i < names.length; i++) {
    var meta = names[i];
    if (meta.indexOf(PREFIX) !== 0) continue;
    var name = meta.slice(PREFIX.length);
    if (allowed(name) && headers[name] === undefined) {
      headers[name] = { value: headers[meta].value };
    }
    delete headers[meta];
  }
  return response;
}
