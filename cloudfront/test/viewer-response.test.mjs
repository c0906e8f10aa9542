// node --test cloudfront/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PATH = join(here, '..', 'viewer-response.js');

async function load() {
  const dir = mkdtempSync(join(tmpdir(), 'sitebuild-cfr-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'viewer-response.mjs');
  writeFileSync(file, readFileSync(PATH, 'utf8') + '\nexport { handler };\n');
  return (await import(pathToFileURL(file).href)).handler;
}
const handler = await load();

// A viewer-response event as CloudFront builds it: header names in lower case.
function event(headers) {
  const shaped = {};
  for (const [name, value] of Object.entries(headers)) shaped[name] = { value };
  return { version: '1.0', context: { eventType: 'viewer-response' }, request: { method: 'GET', uri: '/v/index.html', headers: {} },
           response: { statusCode: 200, statusDescription: 'OK', headers: shaped } };
}
function values(response) {
  return Object.fromEntries(Object.entries(response.headers).map(([n, v]) => [n, v.value]));
}

test('metadata headers become the headers they stand for', () => {
  const out = handler(event({
    'content-type': 'text/html',
    'x-amz-meta-header-x-frame-options': 'DENY',
    'x-amz-meta-header-content-security-policy': "default-src 'self'",
    'x-amz-meta-sitebuild-hash': 'abc',
  }));
  assert.deepEqual(values(out), {
    'content-type': 'text/html',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'self'",
    'x-amz-meta-sitebuild-hash': 'abc',
  });
});

test('a header the response already has wins, and the metadata copy goes', () => {
  const out = handler(event({ 'x-frame-options': 'SAMEORIGIN', 'x-amz-meta-header-x-frame-options': 'DENY' }));
  assert.deepEqual(values(out), { 'x-frame-options': 'SAMEORIGIN' });
});

test('headers a function may not add or change are dropped, never set', () => {
  const refused = ['content-length', 'transfer-encoding', 'content-encoding', 'connection', 'via', 'warning',
                   'x-amz-cf-id', 'x-amzn-requestid', 'x-edge-location', 'x-accel-redirect', 'upgrade', 'bad name', ''];
  const headers = { 'content-length': '10' };
  for (const name of refused) headers['x-amz-meta-header-' + name] = 'x';
  const out = handler(event(headers));
  assert.deepEqual(values(out), { 'content-length': '10' });
});

test('a response without metadata headers is returned as it is', () => {
  const input = event({ 'content-type': 'text/css', 'cache-control': 'max-age=300' });
  const out = handler(input);
  assert.equal(out, input.response);
  assert.deepEqual(values(out), { 'content-type': 'text/css', 'cache-control': 'max-age=300' });
});

test('stays within the 10 KB CloudFront Functions size limit', () => {
  assert.ok(statSync(PATH).size < 10 * 1024);
});
