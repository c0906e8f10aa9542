#!/usr/bin/env node
// Runs every case of a routing-cases.json file through cloudfront/function.js
// and prints one JSON object per line, in the file's order:
//   {"name": ..., "uri": ...}                        for a rewrite
//   {"name": ..., "redirect": ..., "status": 301}    for a redirect
// Usage: node cloudfront/test/route-cli.mjs [path/to/routing-cases.json]
import { setKvs } from './cloudfront-stub.mjs';
import { runCase, readCases, CASES_PATH } from './load-function.mjs';

// `node --test cloudfront/test/` runs every .mjs file under a test/ folder,
// this one included; with no argument there it has nothing to do.
if (process.env.NODE_TEST_CONTEXT && !process.argv[2]) process.exit(0);

const path = process.argv[2] || CASES_PATH;
let table;
try {
  table = readCases(path);
} catch (error) {
  process.stderr.write(`route-cli: cannot read ${path}: ${error.message}\n`);
  process.exit(2);
}
setKvs({ path: table.version });
const lines = [];
for (const c of table.cases) {
  lines.push(JSON.stringify({ name: c.name, ...(await runCase(c)) }));
}
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});
process.stdout.write(lines.join('\n') + '\n');
