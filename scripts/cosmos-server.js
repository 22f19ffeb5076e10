#!/usr/bin/env node
// Runs the Cosmos-compatible server as a process of its own (for crash and multi-instance tests, and the
// benchmark): HTTPS on loopback with a certificate made at start, written to --ca-out for the clients to pin.
// Usage: node scripts/cosmos-server.js [--port 0] --ca-out /tmp/cosmos-ca.pem   (needs `npm run build`)
// With --count it also counts requests by kind (point read, query, create, replace, ...) and serves the counts
// at GET /_bench/counts (the benchmark's Cosmos operations per message).
const { writeFileSync } = require('node:fs');
const { startEmbeddedCosmos } = require('../dist/src/store/cosmos/embeddedCosmos');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

const counts = {};
function kind(req) {
  const path = (req.url || '').split('?')[0];
  const isDoc = /\/docs\/[^/]+$/.test(path);
  if (req.method === 'GET' && isDoc) return 'pointRead';
  if (req.method === 'POST' && /\/docs$/.test(path)) {
    if (String(req.headers['x-ms-cosmos-is-query-plan-request']).toLowerCase() === 'true') return 'queryPlan';
    const isQuery = String(req.headers['x-ms-documentdb-isquery']).toLowerCase() === 'true' || String(req.headers['content-type']).includes('query+json');
    if (isQuery) return 'query';
    return String(req.headers['x-ms-documentdb-is-upsert']).toLowerCase() === 'true' ? 'upsert' : 'create';
  }
  if (req.method === 'PUT' && isDoc) return 'replace';
  if (req.method === 'DELETE') return 'delete';
  return 'other';
}
const intercept = args.includes('--count')
  ? (req, res) => {
      if (req.url === '/_bench/counts') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(counts));
        return true;
      }
      const k = kind(req);
      counts[k] = (counts[k] || 0) + 1;
      return false;
    }
  : undefined;

startEmbeddedCosmos(Number(opt('--port', '0')), intercept).then((server) => {
  const caOut = opt('--ca-out');
  if (caOut) writeFileSync(caOut, server.caPem);
  console.log(`ready ${server.endpoint}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
