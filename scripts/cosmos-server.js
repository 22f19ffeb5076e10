#!/usr/bin/env node
// Runs the Cosmos-compatible server as a process of its own (for crash and multi-instance tests, and the
// benchmark): HTTPS on loopback with a certificate made at start, written to --ca-out for the clients to pin.
// Usage: node scripts/cosmos-server.js [--port 0] --ca-out /tmp/cosmos-ca.pem   (needs `npm run build`)
const { writeFileSync } = require('node:fs');
const { startEmbeddedCosmos } = require('../dist/src/store/cosmos/embeddedCosmos');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

startEmbeddedCosmos(Number(opt('--port', '0'))).then((server) => {
  const caOut = opt('--ca-out');
  if (caOut) writeFileSync(caOut, server.caPem);
  console.log(`ready ${server.endpoint}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
