/**
 * The store cost of timers (part of `npm run bench`; alone: `npm run bench:timers`). 10,000 open escalations are
 * written to the Cosmos-compatible server (run as its own process, counting its requests), a tenth queued and the
 * rest claimed, with the timers the service arms for them. Then the real timekeeper and delivery room sweep them on
 * a simulated clock (5 s per sweep, the default interval) for 15 simulated minutes, against desks and customer
 * channels that accept every send. Printed: Cosmos operations per sweep and per simulated second, by kind, and the
 * cost of a sweep with nothing due.
 * Options (env): BENCH_TIMER_ESCALATIONS (10000), BENCH_TIMER_MINUTES (15).
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Handover } from '../src/core/handover';
import * as rules from '../src/core/escalation';
import type { Escalation } from '../src/core/escalation';
import { QueueWatch } from '../src/core/queueWatch';
import { Timekeeper } from '../src/core/timekeeper';
import { retime, type TimerPolicy } from '../src/core/timers';
import type { AgentDesk, CustomerChannel } from '../src/delivery/ports';
import { Relay } from '../src/delivery/relay';
import { connectCosmos } from '../src/store/cosmos/cosmosClient';
import { createCosmosStore } from '../src/store/cosmos/cosmosStore';
import { startCosmosProcess } from '../tests/helpers/processes';
import { counts, delta } from './cosmosCounts';

const N = Number(process.env.BENCH_TIMER_ESCALATIONS ?? 10_000);
const MINUTES = Number(process.env.BENCH_TIMER_MINUTES ?? 15);
const SWEEP_SECONDS = 5;
const policy: TimerPolicy = { queueUpdateSeconds: 60, claimSeconds: 300, leadSeconds: 900, replySeconds: 300, checkInSeconds: 600, closeSeconds: 300, notify: [], leads: [] };

async function main(): Promise<void> {
  const cosmos = await startCosmosProcess(['--count']);
  const log = pino({ level: 'warn' });
  const conn = await connectCosmos({ endpoint: cosmos.endpoint, key: 'bench', managedIdentity: false, caPem: readFileSync(cosmos.caFile, 'utf8') }, log);
  const store = await createCosmosStore(conn.client, { database: 'timers', retentionSeconds: 86_400 });
  let now = Date.parse('2026-12-07T09:00:00Z');
  const clock = () => new Date(now);
  const accept = { async send() {}, async post() {}, async refresh() {}, async announce() { throw new Error('not announced in this benchmark'); } };
  const relay = new Relay({ store, customers: new Map([['bench', accept as CustomerChannel]]), desks: new Map([['bench', accept as unknown as AgentDesk]]), log, options: { instanceId: 'bench', leaseMs: 60_000, sweepIntervalMs: 0 }, now: () => now });
  const queues = new QueueWatch(store.escalations, clock, { minSamples: 20 });
  const handover = new Handover({ store, outbox: relay, log, clock, timers: policy, queues });
  relay.attach(handover.ledger);
  const timekeeper = new Timekeeper({ escalations: store.escalations, transcripts: store.transcripts, ledger: handover.ledger, queues, policy, clock, log });

  // The open escalations as the service leaves them: queued ones arrived over the last 5 minutes, claimed ones were
  // claimed over the last 5 minutes (their conversation timers fall due over the next 5).
  const t0 = Date.now();
  for (let i = 0; i < N; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, N - i) }, async (_, k) => {
        const n = i + k;
        const at = new Date(now - ((n * 7919) % 300_000)).toISOString();
        const base = rules.start({ id: `t${n}`, customer: { channel: 'bench', conversationId: `c${n}`, address: {} }, desk: 'bench', queue: 'default', problem: 'p', context: {} }, at);
        let e: Escalation = retime(undefined, base, policy, at).escalation;
        if (n % 10 !== 0) e = retime(e, rules.claim(e, { id: 'a', name: 'A' }, at), policy, at).escalation;
        e = { ...e, deskRef: { desk: 'bench', threadId: `th${n}`, address: {} } };
        await store.escalations.create(e);
      }),
    );
  }
  console.error(`${N} escalations written in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const before = (await counts(cosmos))!;
  const sweeps = (MINUTES * 60) / SWEEP_SECONDS;
  let fired = 0;
  let maxPerSweep = 0;
  for (let s = 0; s < sweeps; s++) {
    now += SWEEP_SECONDS * 1000;
    const due = await timekeeper.sweep();
    fired += due;
    maxPerSweep = Math.max(maxPerSweep, due);
    await relay.idle();
  }
  const ops = delta(before, (await counts(cosmos))!);
  const idleBefore = (await counts(cosmos))!;
  const idle = await store.escalations.due(new Date(0).toISOString(), 200);
  const idleOps = delta(idleBefore, (await counts(cosmos))!);
  const fmt = (o: Record<string, number>, per: number) => Object.entries(o).map(([k, v]) => `${k} ${(v / per).toFixed(2)}`).join(', ');
  console.log(`\n## Timers: ${N} open escalations (${N / 10} queued, ${N - N / 10} claimed), ${MINUTES} simulated minutes, a sweep every ${SWEEP_SECONDS} s\n`);
  console.log(`| measure | value |\n| --- | --- |`);
  console.log(`| escalations with due timers handled | ${fired} (most in one sweep: ${maxPerSweep}) |`);
  console.log(`| Cosmos operations per sweep | ${fmt(ops, sweeps)} |`);
  console.log(`| Cosmos operations per simulated second | ${fmt(ops, MINUTES * 60)} |`);
  console.log(`| Cosmos operations per escalation fired | ${fmt(ops, Math.max(1, fired))} |`);
  console.log(`| a sweep with nothing due | ${fmt(idleOps, 1)} (found ${idle.length}) |`);
  await conn.close();
  await cosmos.kill();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
