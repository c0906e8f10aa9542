// Loads cloudfront/function.js into node: substitutes the deployer's
// placeholders, points `import cf from 'cloudfront'` at the stub, appends an
// export of the handler, writes the result to a temporary .mjs file and
// imports it. Each distinct set of parameters gets its own module instance;
// all of them share the one stub (so setKvs() applies to every instance).

import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const FUNCTION_PATH = join(here, '..', 'function.js');
export const CASES_PATH = join(here, '..', 'routing-cases.json');
const STUB_URL = pathToFileURL(join(here, 'cloudfront-stub.mjs')).href;
const IMPORT_LINE = "import cf from 'cloudfront';";

let tempDir = null;
let counter = 0;
const loaded = new Map();

/**
 * Returns the handler of function.js built with the given parameters.
 * A parameter left undefined keeps its placeholder (the function's default).
 */
export async function loadFunction({ mode, trailingSlash, pointerKey, kvsId } = {}) {
  const cacheKey = JSON.stringify([mode, trailingSlash, pointerKey, kvsId]);
  if (loaded.has(cacheKey)) return loaded.get(cacheKey);

  let source = readFileSync(FUNCTION_PATH, 'utf8');
  const substitutions = {
    __KVS_ID__: kvsId,
    __MODE__: mode,
    __TRAILING_SLASH__: trailingSlash,
    __POINTER_KEY__: pointerKey,
  };
  for (const [placeholder, value] of Object.entries(substitutions)) {
    if (value === undefined) continue;
    if (!source.includes(`'${placeholder}'`)) {
      throw new Error(`function.js has no '${placeholder}' placeholder`);
    }
    source = source.split(`'${placeholder}'`).join(`'${value}'`);
  }
  if (!source.includes(IMPORT_LINE)) {
    throw new Error(`function.js does not contain the line ${IMPORT_LINE}`);
  }
  source = source.replace(IMPORT_LINE, `import cf from ${JSON.stringify(STUB_URL)};`);
  source += '\nexport { handler };\n';

  if (!tempDir) {
    tempDir = mkdtempSync(join(tmpdir(), 'sitebuild-cff-'));
    const dir = tempDir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const file = join(tempDir, `function-${++counter}.mjs`);
  writeFileSync(file, source);
  const { handler } = await import(pathToFileURL(file).href);
  loaded.set(cacheKey, handler);
  return handler;
}

/**
 * Parses a raw query string (no leading '?') into CloudFront Functions'
 * querystring object: {key: {value}}, plus multiValue: [{value}, ...] for a
 * key that appears more than once (value is then the first one). Keys keep
 * the order of their first appearance; names and values stay percent-encoded,
 * as CloudFront passes them; empty '&&' parts are skipped; a part without
 * '=' has the value ''.
 */
export function parseQueryString(raw) {
  const qs = {};
  if (!raw) return qs;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (Object.prototype.hasOwnProperty.call(qs, key)) {
      const entry = qs[key];
      entry.multiValue ??= [{ value: entry.value }];
      entry.multiValue.push({ value });
    } else {
      // defineProperty so that a key such as '__proto__' is an own property.
      Object.defineProperty(qs, key, {
        value: { value }, enumerable: true, writable: true, configurable: true,
      });
    }
  }
  return qs;
}

/** A viewer-request event as CloudFront Functions builds it. */
export function buildEvent(method, uri, querystring = '') {
  return {
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-request',
      requestId: 'test-request-id',
    },
    viewer: { ip: '198.51.100.10' },
    request: {
      method,
      uri,
      querystring: parseQueryString(querystring),
      headers: { host: { value: 'www.example.com' } },
      cookies: {},
    },
  };
}

/** Reduces a handler result to the table's shape: {uri} or {redirect, status}. */
export function outcome(result) {
  if (result && typeof result.statusCode === 'number') {
    return { redirect: result.headers.location.value, status: result.statusCode };
  }
  return { uri: result.uri };
}

/** Runs one routing case (the KVS must already hold the version). */
export async function runCase(testCase) {
  const handler = await loadFunction({
    mode: testCase.mode,
    trailingSlash: testCase.trailingSlash,
  });
  const event = buildEvent(testCase.method, testCase.uri, testCase.querystring);
  return outcome(await handler(event));
}

export function readCases(path = CASES_PATH) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
