import cf from 'cloudfront';

// sitebuild viewer-request function (runtime cloudfront-js-2.0).
//
// Serves immutable versions laid out as <bucket>/<version>/<files>. The live
// version id is read from the KeyValueStore on every request, so switching
// versions (deploy, rollback) is one KVS write and needs no invalidation.
// The deployer substitutes the four placeholders below. A placeholder left as
// it is (still starting with two underscores) means the default.
//
// Rules (the shared table cloudfront/routing-cases.json pins them; the Swift
// router must behave the same):
//   last  = the text after the final '/' of the uri
//   file  = last has a '.' at a position > 0 and < last.length - 1,
//           or last starts with '.' and is longer than 1 ('/.htaccess'),
//           or last is not empty and the uri starts with '/.well-known/'
//           (RFC 8615: '/.well-known/apple-app-site-association', ACME tokens)
//   0. no version (key missing, get rejects, empty value) or a uri that does
//      not start with '/': the request is returned unchanged
//   1. uri ends with '/index.html' (case-sensitive): 301 to the uri without
//      'index.html'
//   2. TRAILING_SLASH 'always': last non-empty and not a file: 301 to uri + '/'
//   3. TRAILING_SLASH 'never': uri other than '/' ending in '/': 301 to the
//      uri minus that one trailing slash, unless that uri would be a file
//      ('/docs/v1.2/', '/.well-known/'): then the slash stays, so the folder
//      stays reachable (rules 5 and 6)
//   4. file: /<v><uri>
//   5. spa: everything else: /<v>/index.html
//   6. static: uri ends in '/': /<v><uri>index.html, else /<v><uri>.html
// Paths are never decoded or normalised ('/a//b' keeps its double slash),
// except that a '+' in a rewritten uri is sent to S3 as '%2B': S3's REST
// endpoint (CloudFront's S3 origin) reads a '+' in a path as a space, so
// '/c++.html' would be served the key 'c  .html'.
// A redirect Location whose path would start with '//' or '/\' gets its
// leading slashes collapsed to one, so it cannot become a protocol-relative
// (open) redirect.

const kvs = cf.kvs('__KVS_ID__');
const MODE = '__MODE__';
const TRAILING_SLASH = '__TRAILING_SLASH__';
const POINTER_KEY = '__POINTER_KEY__';

function setting(value, fallback) {
  return value.indexOf('__') === 0 ? fallback : value;
}

// Anything other than 'spa' is 'static'; anything other than 'always' or
// 'never' is 'none'.
const mode = setting(MODE, 'static');
const trailingSlash = setting(TRAILING_SLASH, 'none');
const pointerKey = setting(POINTER_KEY, 'path');

function isFile(last) {
  return last.length > 1 &&
    (last.charAt(0) === '.' || last.slice(1, -1).indexOf('.') !== -1);
}

// Whether uri is served as the file it names (rule 4): by its last segment, or
// below '/.well-known/'.
function namesFile(uri) {
  const last = uri.slice(uri.lastIndexOf('/') + 1);
  return isFile(last) || (last !== '' && uri.indexOf('/.well-known/') === 0);
}

// Rebuilds the query string for a Location header. CloudFront hands the
// function the values exactly as the viewer sent them (still percent-encoded),
// so they are copied, not encoded again. Keys come in the object's order (the
// order of first appearance); a repeated key yields one entry per multiValue
// item, in order. An empty value is written as the bare key ('k', not 'k='):
// CloudFront does not tell '?k' from '?k=' apart.
function queryString(qs) {
  if (typeof qs === 'string') {
    return qs === '' ? '' : '?' + qs;
  }
  var parts = [];
  for (var key in qs) {
    var entry = qs[key];
    var values = entry.multiValue && entry.multiValue.length ? entry.multiValue : [entry];
    for (var i = 0; i < values.length; i++) {
      var value = values[i].value;
      parts.push(value === '' || value === undefined || value === null ? key : key + '=' + value);
    }
  }
  return parts.length ? '?' + parts.join('&') : '';
}

function redirect(path, request) {
  var location = '/' + path.replace(/^[\/\\]+/, '');
  return {
    statusCode: 301,
    statusDescription: 'Moved Permanently',
    headers: {
      location: { value: location + queryString(request.querystring) },
      'cache-control': { value: 'max-age=3600' }
    }
  };
}

async function handler(event) {
  const request = event.request;
  let version;
  try {
    version = await kvs.get(pointerKey);
  } catch (e) {
    // No live version yet (the key is missing) or the store failed: leave the
    // request alone, as the toolkit does.
    return request;
  }
  const uri = request.uri;
  if (typeof version !== 'string' || version === '' ||
      typeof uri !== 'string' || uri.charAt(0) !== '/') {
    return request;
  }

  const last = uri.slice(uri.lastIndexOf('/') + 1);
  const file = namesFile(uri);

  if (uri.slice(-11) === '/index.html') {
    return redirect(uri.slice(0, -10), request);
  }
  if (trailingSlash === 'always' && last !== '' && !file) {
    return redirect(uri + '/', request);
  }
  if (trailingSlash === 'never' && uri !== '/' && last === '' &&
      !namesFile(uri.slice(0, -1))) {
    return redirect(uri.slice(0, -1), request);
  }

  const prefix = '/' + version;
  let origin;
  if (file) {
    origin = prefix + uri;
  } else if (mode === 'spa') {
    origin = prefix + '/index.html';
  } else if (last === '') {
    origin = prefix + uri + 'index.html';
  } else {
    origin = prefix + uri + '.html';
  }
  request.uri = origin.indexOf('+') === -1 ? origin : origin.replace(/\+/g, '%2B');
  return request;
}
