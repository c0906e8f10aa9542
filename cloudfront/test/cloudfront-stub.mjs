// Stand-in for CloudFront's built-in 'cloudfront' module (runtime
// cloudfront-js-2.0), enough for function.js: cf.kvs(id).get(key, {format}).
// Like the real helper, get() rejects when the key does not exist.

let store = new Map();
let failure = null;
const opened = [];

/** Replaces the store's contents: a Map or a plain object of key -> string. */
export function setKvs(map) {
  store = map instanceof Map ? new Map(map) : new Map(Object.entries(map ?? {}));
}

/** Makes every get() reject with `error` (null restores normal behaviour). */
export function setKvsFailure(error) {
  failure = error;
}

/** The ids passed to cf.kvs(), in order. */
export function openedKvsIds() {
  return opened.slice();
}

function kvs(id) {
  opened.push(id);
  return {
    async get(key, opts) {
      if (failure) throw failure;
      if (!store.has(key)) {
        throw new Error(`KeyValueStore: key '${key}' does not exist`);
      }
      const value = store.get(key);
      const format = (opts && opts.format) || 'string';
      if (format === 'json') return JSON.parse(value);
      if (format === 'bytes') return Buffer.from(value, 'utf8');
      if (format !== 'string') throw new Error(`KeyValueStore: unknown format '${format}'`);
      return value;
    },
    async exists(key) {
      if (failure) throw failure;
      return store.has(key);
    },
    async meta() {
      if (failure) throw failure;
      return {
        creationDateTime: '2024-01-01T00:00:00Z',
        lastUpdatedDateTime: '2024-01-01T00:00:00Z',
        keyCount: store.size,
      };
    },
  };
}

export default { kvs };
