// node --test cloudfront/test/
import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { setKvs, setKvsFailure, openedKvsIds } from './cloudfront-stub.mjs';
import {
  FUNCTION_PATH, loadFunction, buildEvent, outcome, runCase, readCases, parseQueryString,
} from './load-function.mjs';

const table = readCases();
const RULE_MODES = ['static', 'spa'];
const RULE_SLASHES = ['none', 'always', 'never'];

beforeEach(() => {
  setKvsFailure(null);
  setKvs({ path: table.version });
});

describe('routing-cases.json', () => {
  test('is well formed', () => {
    assert.equal(typeof table.version, 'string');
    assert.ok(table.cases.length >= 45, `only ${table.cases.length} cases`);
    const names = new Set();
    for (const c of table.cases) {
      assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
      names.add(c.name);
      assert.ok(RULE_MODES.includes(c.mode), `${c.name}: mode ${c.mode}`);
      assert.ok(RULE_SLASHES.includes(c.trailingSlash), `${c.name}: trailingSlash ${c.trailingSlash}`);
      assert.equal(typeof c.method, 'string', c.name);
      assert.equal(typeof c.uri, 'string', c.name);
      assert.equal(typeof c.querystring, 'string', c.name);
      assert.ok(!c.querystring.startsWith('?'), `${c.name}: querystring starts with ?`);
      const keys = Object.keys(c.expect).sort().join(',');
      assert.ok(keys === 'uri' || keys === 'redirect,status', `${c.name}: expect has ${keys}`);
    }
    // every mode x trailing-slash combination is exercised
    for (const m of RULE_MODES) {
      for (const s of RULE_SLASHES) {
        assert.ok(table.cases.some((c) => c.mode === m && c.trailingSlash === s), `${m}/${s}`);
      }
    }
  });

  for (const c of table.cases) {
    test(`${c.mode}/${c.trailingSlash} ${c.method} ${c.uri}${c.querystring ? '?' + c.querystring : ''}: ${c.name}`, async () => {
      assert.deepEqual(await runCase(c), c.expect);
    });
  }
});

describe('KeyValueStore', () => {
  test('missing pointer key: request returned unchanged', async () => {
    setKvs({});
    const handler = await loadFunction({ mode: 'static', trailingSlash: 'always' });
    for (const uri of ['/', '/about', '/index.html', '/docs/']) {
      const event = buildEvent('GET', uri, 'a=1');
      const before = structuredClone(event.request);
      const result = await handler(event);
      assert.equal(result, event.request);
      assert.deepEqual(result, before);
    }
  });

  test('get() rejecting: request returned unchanged', async () => {
    setKvsFailure(new Error('KeyValueStore unavailable'));
    const handler = await loadFunction({ mode: 'spa', trailingSlash: 'never' });
    const event = buildEvent('GET', '/dashboard/', '');
    const before = structuredClone(event.request);
    const result = await handler(event);
    assert.equal(result, event.request);
    assert.deepEqual(result, before);
  });

  test('empty version value: request returned unchanged', async () => {
    setKvs({ path: '' });
    const handler = await loadFunction({ mode: 'static', trailingSlash: 'none' });
    const event = buildEvent('GET', '/about', '');
    assert.deepEqual(outcome(await handler(event)), { uri: '/about' });
  });

  test('reads the substituted pointer key from the substituted store id', async () => {
    setKvs({ path: 'wrong', live: 'v9' });
    const handler = await loadFunction({
      mode: 'static', trailingSlash: 'none', pointerKey: 'live', kvsId: 'a1b2c3d4-kvs',
    });
    assert.ok(openedKvsIds().includes('a1b2c3d4-kvs'));
    assert.deepEqual(outcome(await handler(buildEvent('GET', '/about', ''))), { uri: '/v9/about.html' });
  });

  test('the version is used exactly as stored', async () => {
    setKvs({ path: '20240101-abc123' });
    const handler = await loadFunction({ mode: 'spa', trailingSlash: 'none' });
    assert.deepEqual(outcome(await handler(buildEvent('GET', '/x', ''))), { uri: '/20240101-abc123/index.html' });
  });
});

describe('parameters', () => {
  test('unsubstituted placeholders default to static, none, path', async () => {
    setKvs({ path: 'v1' });
    const handler = await loadFunction({});
    const run = async (uri) => outcome(await handler(buildEvent('GET', uri, '')));
    assert.deepEqual(await run('/about'), { uri: '/v1/about.html' });   // static, not spa
    assert.deepEqual(await run('/docs/'), { uri: '/v1/docs/index.html' }); // no 'never' redirect
    assert.deepEqual(await run('/docs'), { uri: '/v1/docs.html' });        // no 'always' redirect
  });

  test('unknown values fall back to static and none', async () => {
    setKvs({ path: 'v1' });
    const handler = await loadFunction({ mode: 'SPA', trailingSlash: 'sometimes' });
    assert.deepEqual(outcome(await handler(buildEvent('GET', '/about', ''))), { uri: '/v1/about.html' });
    assert.deepEqual(outcome(await handler(buildEvent('GET', '/about/', ''))), { uri: '/v1/about/index.html' });
  });
});

describe('response shapes', () => {
  test('rewrite returns the same request object with only uri changed', async () => {
    const handler = await loadFunction({ mode: 'static', trailingSlash: 'none' });
    const event = buildEvent('HEAD', '/docs/', 'b=2&a=1&a=0');
    const before = structuredClone(event.request);
    const result = await handler(event);
    assert.equal(result, event.request);
    assert.deepEqual({ ...result, uri: before.uri }, before);
    assert.equal(result.uri, `/${table.version}/docs/index.html`);
  });

  test('redirect response is exactly a 301 with location and cache-control', async () => {
    const handler = await loadFunction({ mode: 'static', trailingSlash: 'always' });
    const result = await handler(buildEvent('GET', '/about', 'x=1&y=&x=2'));
    assert.deepEqual(result, {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: {
        location: { value: '/about/?x=1&x=2&y' },
        'cache-control': { value: 'max-age=3600' },
      },
    });
  });

  test('a querystring given as a string is copied as it is', async () => {
    const handler = await loadFunction({ mode: 'static', trailingSlash: 'none' });
    const event = buildEvent('GET', '/index.html', '');
    event.request.querystring = 'b=2&a=1&b=3';
    assert.deepEqual(outcome(await handler(event)), { redirect: '/?b=2&a=1&b=3', status: 301 });
  });
});

describe('event builder', () => {
  test('querystring object follows the CloudFront Functions structure', () => {
    assert.deepEqual(parseQueryString(''), {});
    assert.deepEqual(parseQueryString('a=1&b=&c&a=2&a=x%20y'), {
      a: { value: '1', multiValue: [{ value: '1' }, { value: '2' }, { value: 'x%20y' }] },
      b: { value: '' },
      c: { value: '' },
    });
    assert.deepEqual(Object.keys(parseQueryString('z=1&a=2&m=3')), ['z', 'a', 'm']);
  });
});

describe('function.js constraints', () => {
  const source = readFileSync(FUNCTION_PATH, 'utf8');

  test('is smaller than 10 KB', () => {
    const size = statSync(FUNCTION_PATH).size;
    assert.ok(size < 10 * 1024, `function.js is ${size} bytes`);
  });

  test('contains no export and no require', () => {
    assert.doesNotMatch(source, /\bexport\b/);
    assert.doesNotMatch(source, /\brequire\b/);
  });

  test('starts with the cloudfront import and uses the placeholders', () => {
    assert.ok(source.startsWith("import cf from 'cloudfront';\n"));
    for (const p of ['__KVS_ID__', '__MODE__', '__TRAILING_SLASH__', '__POINTER_KEY__']) {
      assert.ok(source.includes(`'${p}'`), p);
    }
    assert.match(source, /cf\.kvs\('__KVS_ID__'\)/);
    assert.match(source, /async function handler\(event\)/);
  });

  test('uses no ES features outside runtime 2.0', () => {
    const code = source.replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(code, /\bfor\s*\([^)]*\bof\b/, 'for...of');
    assert.doesNotMatch(code, /\bclass\b/, 'class');
    assert.doesNotMatch(code, /\.\.\.\w/, 'spread');
    assert.doesNotMatch(code, /\?\?|\?\./, 'nullish / optional chaining');
    assert.doesNotMatch(code, /\bprocess\b|\bBuffer\b|\bglobalThis\b/, 'node globals');
  });
});

describe('route-cli.mjs', () => {
  test('prints one result line per case, matching the table', () => {
    const cli = fileURLToPath(new URL('./route-cli.mjs', import.meta.url));
    const casesPath = fileURLToPath(new URL('../routing-cases.json', import.meta.url));
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const out = execFileSync(process.execPath, [cli, casesPath], { env, encoding: 'utf8' });
    const lines = out.trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, table.cases.length);
    table.cases.forEach((c, i) => {
      assert.deepEqual(lines[i], { name: c.name, ...c.expect });
      assert.equal(Object.keys(lines[i])[0], 'name');
    });
  });
});
