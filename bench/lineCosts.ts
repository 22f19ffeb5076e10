/**
 * `node dist/bench/lineCosts.js`: the costs behind per-line choices (docs/BENCHMARKS.md). `newEntry` builds a line with
 * Object.assign, not an object spread followed by more properties (a slow path in Node 20's V8). An outbox item's id is
 * a sha256 of where it came from (idempotent retries): `crypto.hash` against `createHash`. A service URL's verdict is
 * asked on every inbound activity and every send: parsing it with `new URL` against the remembered verdict. The
 * caches' hits (a thread's escalation, a recorded send): two generations against a strict LRU's move on every hit.
 * A skill turn's logger, which logs nothing for a relayed line: a pino child against one made only when used.
 * A delivery state leased to this process: a literal that starts with a spread and adds keys (a slow path in Node 20's
 * V8; overriding a key the spread brought is not) against Object.assign. The version of an escalation a thread's look-up
 * read: remembered in a WeakMap keyed by the object against a small BoundedCache keyed by its id. A lone process's
 * note of each send (the lanes whose recent sends it hands over when it meets a peer), over 1,000 chats.
 */
import { createHash, hash } from 'node:crypto';
import pino from 'pino';
import { BoundedCache } from '../src/core/boundedCache';
import { lazyChild } from '../src/core/logger';
import { AloneSends } from '../src/delivery/aloneSends';
import { newEntry } from '../src/core/transcript';
import { checkServiceUrl } from '../src/outbound/serviceUrlPolicy';

function timed(name: string, f: () => unknown, n = 300_000): void {
  for (let i = 0; i < n / 10; i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  console.log(`${name}: ${(Number(process.hrtime.bigint() - t) / n / 1000).toFixed(2)} µs`);
}

const source = 'esc-1234567890abcdef|toCustomer|1:1a2b3c4d5e6f7g8h9i0j';
timed('createHash sha256', () => createHash('sha256').update(source).digest('hex'));
timed('crypto.hash sha256', () => hash('sha256', source, 'hex'));
const policy = { allowedHosts: ['smba.trafficmanager.net'], allowLoopback: false };
let n = 0;
timed('checkServiceUrl, a new URL each time', () => checkServiceUrl(`https://smba.trafficmanager.net/amer/${n++}/`, policy));
timed('checkServiceUrl, one URL again', () => checkServiceUrl('https://smba.trafficmanager.net/amer/c0ffee00-0000-4000-8000-000000000002/', policy));

const lru = new Map<string, number>();
const cache = new BoundedCache<number>(1_000);
const keys = Array.from({ length: 400 }, (_, i) => `19:thread-${i}@thread.tacv2;messageid=${1000 + i}`);
keys.forEach((key, i) => {
  lru.set(key, i);
  cache.set(key, i);
});
let k = 0;
timed('a hit, strict LRU (delete and set again)', () => {
  const key = keys[k++ % 400];
  const v = lru.get(key)!;
  lru.delete(key);
  lru.set(key, v);
  return v;
});
timed('a hit, BoundedCache (two generations), young', () => cache.get(keys[k++ % 400]));
// 400 keys in a cache of 100: every hit has to come from the old generation, or misses.
const small = new BoundedCache<number>(100);
timed('a hit or a miss, BoundedCache cycling 400 keys through 100', () => {
  const key = keys[k++ % 400];
  return small.get(key) ?? small.set(key, 1);
});

const quiet = pino({ level: 'warn' }, { write: () => undefined });
const bindings = () => ({ activityId: 'f:1234567890', conversationId: 'a:customer-1234', activityType: 'message' });
timed('a turn logger, pino child', () => quiet.child(bindings()));
timed('a turn logger, lazyChild (nothing logged)', () => lazyChild(quiet, bindings));

const author = { id: '29:agent', name: 'Bench Agent' };
let i = 0;
const fields = () => ({ escalationId: `e-${i % 300}`, direction: 'toCustomer' as const, kind: 'agent' as const, author, text: `line ${i}`, sourceActivityId: `a-${i++}` });
timed('{ ...fields, + 4 properties }', () => ({ ...fields(), id: 'x', seq: 'y', at: 'z', delivery: 1 }));
timed('Object.assign({}, fields, { 4 })', () => Object.assign({}, fields(), { id: 'x', seq: 'y', at: 'z', delivery: 1 }));
timed('newEntry (sha256 id, seq, ISO time)', () => newEntry(Object.assign(fields(), { now: new Date() })));

const delivery = { state: 'pending' as const, attempts: 0 };
timed('{ ...delivery, 2 new keys }', () => ({ ...delivery, leaseOwner: 'me', leaseUntil: i++ }));
timed('{ ...delivery, a key it has }', () => ({ ...delivery, attempts: i++ }));
timed('Object.assign({}, delivery, { 2 new keys })', () => Object.assign({}, delivery, { leaseOwner: 'me', leaseUntil: i++ }));

const versions = new WeakMap<object, string>();
const recent = new BoundedCache<{ value: object; etag: string }>(256);
timed('an escalation read, its version in a WeakMap', () => versions.set({ id: `e-${i++ % 300}` }, 'etag'));
timed('an escalation read, its version in a BoundedCache(256)', () => {
  const value = { id: `e-${i++ % 300}` };
  recent.set(value.id, { value, etag: 'etag' });
});

const lanesUnused = { get: async () => undefined, put: async () => ({ value: { until: 0, queue: [] }, etag: '' }), stalled: async () => [] };
const alone = new AloneSends({ lanes: lanesUnused, escalations: { get: async () => undefined }, memory: { horizonMs: 30_000, export: () => undefined, import: () => undefined, instances: () => undefined }, now: Date.now, warn: () => undefined, heartbeats: true });
const chats = Array.from({ length: 1_000 }, (_, c) => ({ id: `esc-${c}` }) as Parameters<AloneSends['noted']>[0]);
timed('a lone send noted (AloneSends.noted, 1,000 chats)', () => alone.noted(chats[i++ % 1_000], 'toCustomer'));
