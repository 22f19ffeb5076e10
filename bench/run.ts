/**
 * `npm run bench`: drives the service over HTTP against the loopback connector stub and prints, per direction and
 * at the same offered loads: (1) the floor (same SDKs and HTTP path, no store), (2) the service on its in-memory
 * store, (3) the service on the embedded Cosmos-compatible server. For each: throughput at saturation, latency
 * p50/p95/p99 (request sent → outbound call received by the stub) at a moderate and a saturating load, after one
 * 'first' line in every chat (measured on its own), CPU per message; for (3) Cosmos operations per relayed message
 * by kind, and RSS with 10,000 open escalations (bench/rss.ts). With both floor and memory, their ratio at
 * saturation is also measured in alternating rounds (bench/paired.ts).
 * Mode `cosmos2` runs two instances on one Cosmos-compatible server with requests alternating between them (a load
 * balancer without affinity): what sharing lanes across instances costs.
 * Options (env): BENCH_SECONDS (10), BENCH_RATE (50 msg/s), BENCH_CONCURRENCY (32), BENCH_ESCALATIONS (1000),
 * BENCH_RSS_ESCALATIONS (10000), BENCH_MODES (floor,memory,cosmos,cosmos2), BENCH_PAIRED_ROUNDS (12, 0 = none),
 * BENCH_PAIRED_SECONDS (4), BENCH_PAIRED_WARMUP (3 pairs not counted), BENCH_PAIRED_CALIBRATE (1: the floor paired against a second floor process too),
 * BENCH_PAIRED_HOLLOW (1: the memory mode paired against its hollow variant too, which is what our per-line code costs),
 * BENCH_NODE_FLAGS (flags for every service process, e.g. `--max-semi-space-size=32`), BENCH_PIN (CPUs for the services, e.g. `1`; run the driver with `taskset -c 0`), BENCH_CPU_PROF (a folder: each service process writes a V8 CPU profile of each
 * saturating run there), BENCH_VARIANT (hollow or edge: what the memory mode runs instead of the whole service, to
 * tell where its gap to the floor lies; bench/entry.ts).
 */
import { cpus, totalmem } from 'node:os';
import { ConnectorStub } from '../tests/helpers/connectorStub';
import { newAgent } from '../tests/helpers/activities';
import { Clock, measure, nameOf, prepare, runVariant, stop, type Direction, type Load, type Mode, type Options, type RunResult, type Setup } from './driver';
import { pairedStep } from './paired';
import { rssStep } from './rss';

const options: Options = {
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  rate: Number(process.env.BENCH_RATE ?? 50),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32),
  escalations: Number(process.env.BENCH_ESCALATIONS ?? 1000),
};
const RSS_ESCALATIONS = Number(process.env.BENCH_RSS_ESCALATIONS ?? 10_000);
const MODES = (process.env.BENCH_MODES ?? 'floor,memory,cosmos,cosmos2').split(',') as Mode[];
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? 12);
const PAIRED_SECONDS = Number(process.env.BENCH_PAIRED_SECONDS ?? 4);
const CALIBRATE = process.env.BENCH_PAIRED_CALIBRATE === '1';
const PAIR_HOLLOW = process.env.BENCH_PAIRED_HOLLOW === '1';

async function main(): Promise<void> {
  const stub = await new ConnectorStub().start();
  stub.keep = false;
  const clock = new Clock(stub);
  const agent = newAgent('Bench Agent');
  stub.members.add(agent.id);
  runVariant(); // a wrong BENCH_VARIANT fails here, before any process starts
  const table: Array<{ name: string; direction: Direction; load: Load; r: RunResult }> = [];
  const extras: string[] = [];
  let runId = 0;
  const paired = PAIRED_ROUNDS > 0 && MODES.includes('floor') && MODES.includes('memory');
  const kept: Partial<Record<Mode, Setup>> = {};

  for (const mode of MODES) {
    const setup = await prepare(mode, stub, clock, agent, options);
    for (const direction of ['toDesk', 'toCustomer'] as Direction[]) {
      // 'first': one line in every chat; then the steady loads, whose lines are not the first of their chat.
      for (const load of ['first', 'moderate', 'saturating'] as const) {
        const profile = load === 'saturating' && !!process.env.BENCH_CPU_PROF;
        const r = await measure(setup, { clock, stub, agent, runId: ++runId, profile }, direction, load, options);
        table.push({ name: nameOf(setup), direction, load, r });
        console.error(`${nameOf(setup)} ${direction} ${load}: ${r.delivered}/${r.sent} delivered in ${r.seconds.toFixed(1)} s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
      }
    }
    // The in-memory store keeps every chat in the process by design: RSS is measured where the state lives in Cosmos.
    if (mode === 'cosmos' && setup.cosmos && RSS_ESCALATIONS > setup.chats.length) {
      const deps = { cosmos: setup.cosmos, url: setup.svcs[0].url, pid: setup.pids[0], agent, teamsUrl: `${stub.url}/teams/`, pva: `${stub.url}/pvaruntime/`, concurrency: options.concurrency, delivered: () => clock.latencies.length, track: (token: string) => void clock.sentAt.set(token, Date.now()) };
      clock.latencies.length = 0;
      extras.push(await rssStep(deps, setup.chats, RSS_ESCALATIONS));
    }
    if (paired && (mode === 'floor' || mode === 'memory')) kept[mode] = setup;
    else await stop(setup);
    if (kept.floor && kept.memory) {
      const pairCtx = { clock, stub, agent, nextRunId: () => ++runId };
      extras.push(...(await pairedStep(kept.floor, kept.memory, pairCtx, options, PAIRED_ROUNDS, PAIRED_SECONDS)));
      if (CALIBRATE) {
        // The same comparison of the floor against a second floor process: what the method gives for no difference.
        const twin = await prepare('floor', stub, clock, agent, options);
        extras.push(...(await pairedStep(kept.floor, twin, pairCtx, options, PAIRED_ROUNDS, PAIRED_SECONDS, 'floor/floor (calibration)')));
        await stop(twin);
      }
      if (PAIR_HOLLOW && kept.memory.variant) {
        console.error('BENCH_PAIRED_HOLLOW is ignored: the memory mode already runs a variant (BENCH_VARIANT)');
      } else if (PAIR_HOLLOW) {
        // The whole service against itself with each line's per-line work skipped: what that work costs.
        const hollow = await prepare('memory', stub, clock, agent, options, 'hollow');
        extras.push(...(await pairedStep(hollow, kept.memory, pairCtx, options, PAIRED_ROUNDS, PAIRED_SECONDS)));
        await stop(hollow);
      }
      await stop(kept.floor);
      await stop(kept.memory);
      delete kept.floor;
      delete kept.memory;
    }
  }
  await stub.stop();

  console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`Loads: moderate = ${options.rate} msg/s open loop; saturating = ${options.concurrency} concurrent senders, closed loop; ${options.seconds} s each; ${options.escalations} open chats\n`);
  console.log('| mode | direction | load | sent | delivered | msg/s | p50 ms | p95 ms | p99 ms | CPU ms/msg (main thread) | Cosmos ops/msg |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { name, direction, load, r } of table) {
    const ops = r.cosmosOps ? Object.entries(r.cosmosOps).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') : '–';
    console.log(`| ${name} | ${direction} | ${load} | ${r.sent} | ${r.delivered} | ${(r.delivered / r.seconds).toFixed(0)} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.cpuMsPerMessage.toFixed(2)} (${r.mainCpuMsPerMessage.toFixed(2)}) | ${ops} |`);
  }
  console.log('');
  for (const line of extras) console.log(line);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
