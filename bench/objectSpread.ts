/**
 * `node dist/bench/objectSpread.js`: why `newEntry` builds a line with Object.assign instead of an object spread
 * followed by more properties (docs/BENCHMARKS.md). Prints µs per call of each form, and of `newEntry` itself.
 */
import { newEntry } from '../src/core/transcript';

const N = 200_000;
function time(name: string, f: (i: number) => unknown): void {
  for (let i = 0; i < 20_000; i++) f(i); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f(i);
  console.log(`${name.padEnd(36)} ${(Number(process.hrtime.bigint() - t0) / N / 1000).toFixed(2)} µs`);
}

const author = { id: '29:agent', name: 'Bench Agent' };
const fields = (i: number) => ({ escalationId: `e-${i % 300}`, direction: 'toCustomer' as const, kind: 'agent' as const, author, text: `line ${i}`, sourceActivityId: `a-${i}` });
time('{ ...fields, + 4 properties }', (i) => ({ ...fields(i), id: 'x', seq: 'y', at: 'z', delivery: 1 }));
time('Object.assign({}, fields, { 4 })', (i) => Object.assign({}, fields(i), { id: 'x', seq: 'y', at: 'z', delivery: 1 }));
time('newEntry (sha256 id, seq, ISO time)', (i) => newEntry(Object.assign(fields(i), { now: new Date() })));
