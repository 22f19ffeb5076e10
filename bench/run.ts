/**
 * `npm run bench`: drives the service over HTTP against the loopback connector stub and prints, per direction and
 * at the same offered loads: (1) the floor (same SDKs and HTTP path, no store), (2) the service on its in-memory
 * store, (3) the service on the embedded Cosmos-compatible server. For each: throughput at saturation, latency
 * p50/p95/p99 (request sent → outbound call received by the stub) at a moderate and a saturating load, after one
 * 'first' line in every chat (measured on its own), CPU per message; for (3) Cosmos operations per relayed message
 * by kind, and RSS with 10,000 open escalations (bench/rss.ts).
 * Mode `cosmos2` runs two instances on one Cosmos-compatible server with requests alternating between them (a load
 * balancer without affinity): what sharing lanes across instances costs.
 * Options (env): BENCH_SECONDS (10), BENCH_RATE (50 msg/s), BENCH_CONCURRENCY (32), BENCH_ESCALATIONS (300),
 * BENCH_RSS_ESCALATIONS (10000), BENCH_MODES (floor,memory,cosmos,cosmos2), BENCH_CPU_PROF (a folder: each service
 * process writes a V8 CPU profile of each saturating run there).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ConnectorStub, type RecordedCall } from '../tests/helpers/connectorStub';
import { newAgent, newCustomer, skill, teams, type Customer } from '../tests/helpers/activities';
import { startCosmosProcess, type CosmosProc } from '../tests/helpers/processes';
import { counts } from './cosmosCounts';
import { post, rssStep } from './rss';
import { AGENT_TENANT, CHANNEL_ID, TEAM_ID } from '../tests/helpers/service';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ESCALATIONS = Number(process.env.BENCH_ESCALATIONS ?? 300);
const RSS_ESCALATIONS = Number(process.env.BENCH_RSS_ESCALATIONS ?? 10_000);
const MODES = (process.env.BENCH_MODES ?? 'floor,memory,cosmos,cosmos2').split(',') as Mode[];
type Mode = 'floor' | 'memory' | 'cosmos' | 'cosmos2';
type Direction = 'toDesk' | 'toCustomer';

const root = join(__dirname, '..', '..');
const CLOCK_TICKS = 100;

interface Service {
  url: string;
  child: ChildProcess;
}

async function startEntry(mode: Mode, env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, ['--expose-gc', join(root, 'dist', 'bench', 'entry.js'), mode === 'cosmos2' ? 'cosmos' : mode], { env: { PATH: process.env.PATH ?? '', ...(process.env.BENCH_CPU_PROF ? { BENCH_CPU_PROF: process.env.BENCH_CPU_PROF } : {}), ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${mode} exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Chat {
  customer: Customer;
  threadId: string;
  /** LiveChatConversationId, as Copilot Studio's topic passes it on every sendMessage. */
  escalationId?: string;
}

interface RunResult {
  sent: number;
  delivered: number;
  failedRequests: number;
  seconds: number;
  p50: number;
  p95: number;
  p99: number;
  cpuMsPerMessage: number;
  cosmosOps?: Record<string, number>;
}

class Clock {
  readonly sentAt = new Map<string, number>();
  readonly latencies: number[] = [];
  /** Escalation id → its thread, from the stub's createConversation calls. */
  readonly threads = new Map<string, string>();
  constructor(stub: ConnectorStub) {
    stub.listener = (call: RecordedCall) => {
      if (call.status >= 300) return;
      if (call.kind === 'create') {
        const id = /"escalationId":"([^"]+)"/.exec(JSON.stringify(call.body))?.[1];
        if (id) this.threads.set(id, call.conversationId!);
        return;
      }
      const m = /bench-(\d+-\d+)/.exec(call.body?.text ?? '');
      if (!m) return;
      const at = this.sentAt.get(m[1]);
      if (at !== undefined) {
        this.latencies.push(call.at - at);
        this.sentAt.delete(m[1]);
      }
    };
  }
}

async function main(): Promise<void> {
  const stub = await new ConnectorStub().start();
  stub.keep = false;
  const clock = new Clock(stub);
  const agent = newAgent('Bench Agent');
  stub.members.add(agent.id);
  const teamsUrl = `${stub.url}/teams/`;
  const pva = `${stub.url}/pvaruntime/`;
  const table: Array<{ mode: Mode; direction: Direction; load: string; r: RunResult }> = [];
  const extras: string[] = [];
  let runId = 0;

  for (const mode of MODES) {
    let cosmos: CosmosProc | undefined;
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      TEAMS_SERVICE_URL_BASE: `${stub.url}/customer/`,
      AGENT_SERVICE_URL: teamsUrl,
      AGENT_TEAM_ID: TEAM_ID,
      AGENT_CHANNEL_ID: CHANNEL_ID,
      AGENT_TENANT_ID: AGENT_TENANT,
      // The benchmark measures our code: Teams' per-tenant budget (about 50/s) would cap every mode alike.
      TEAMS_TENANT_RPS: '10000',
      SWEEP_INTERVAL_SECONDS: '0',
    };
    if (mode === 'cosmos' || mode === 'cosmos2') {
      cosmos = await startCosmosProcess(['--count']);
      Object.assign(env, { COSMOS_ENDPOINT: cosmos.endpoint, COSMOS_KEY: 'bench', COSMOS_CA_FILE: cosmos.caFile });
    }
    // Two instances learn of each other through heartbeats, which ride on the sweep (at its default interval: its
    // background operations are counted with the rest, spread over the lines).
    const instances = mode === 'cosmos2' ? ['bench-a', 'bench-b'] : ['bench'];
    const svcs: Service[] = [];
    for (const id of instances) svcs.push(await startEntry(mode, { ...env, INSTANCE_ID: id, ...(mode === 'cosmos2' ? { SWEEP_INTERVAL_SECONDS: '5' } : {}) }));
    const svc = svcs[0];
    const pids = svcs.map((x) => x.child.pid!);
    const pid = pids[0];
    if (mode === 'cosmos2') await new Promise((r) => setTimeout(r, 12_000)); // both have seen each other and are past their joining grace

    // Open chats (the floor has none: its customers and threads are just ids).
    const chats: Chat[] = [];
    for (let i = 0; i < ESCALATIONS; i += CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, ESCALATIONS - i) }, async () => {
          const customer = newCustomer();
          if (mode === 'floor') {
            chats.push({ customer, threadId: `19:floor-${customer.conversationId}@thread.tacv2;messageid=1` });
            return;
          }
          const res = await fetch(`${svc.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(skill.start(customer, { ProblemDescription: 'bench' }, { deliveryMode: 'expectReplies' })) });
          const id = ((await res.json()) as any).activities[0].value.LiveChatConversationId as string;
          const threadId = `19:bench-${id}@thread.tacv2;messageid=1`;
          chats.push({ customer, threadId: '', escalationId: id });
          const chat = chats[chats.length - 1];
          // Claim through the card action; the thread id comes back on the next card delivery, so wait for it.
          await post(`${svc.url}/api/console/messages`, teams.action(agent, threadId, '1', 'handover.claim', { escalationId: id }, teamsUrl));
          chat.threadId = await threadOf(clock, id);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 2000));

    let turn = 0;
    // In the 'first' pass every chat gets one line at each instance (each fills its own thread cache); later lines
    // alternate between them.
    let pinned: number | undefined;
    const send = (direction: Direction, chat: Chat, token: string): Promise<number> => {
      clock.sentAt.set(token, Date.now());
      const target = pinned === undefined ? svcs[turn++ % svcs.length] : svcs[pinned];
      return direction === 'toDesk'
        ? post(`${target.url}/api/messages`, skill.message(chat.customer, `line bench-${token}`, { serviceUrl: pva, value: chat.escalationId ? { LiveChatConversationId: chat.escalationId } : {} }))
        : post(`${target.url}/api/console/messages`, teams.reply(agent, chat.threadId, `line bench-${token}`, teamsUrl));
    };

    for (const direction of ['toDesk', 'toCustomer'] as Direction[]) {
      // 'first': one line in every chat (the first agent line records the time to first response, the first line on
      // a thread fills the thread cache); then the steady loads, whose lines are not the first of their chat.
      for (const load of ['first', 'moderate', 'saturating'] as const) {
        runId += 1;
        clock.latencies.length = 0;
        clock.sentAt.clear();
        const profiling = load === 'saturating' && !!process.env.BENCH_CPU_PROF;
        if (profiling) for (const p of pids) process.kill(p, 'SIGHUP');
        const before = await counts(cosmos);
        const cpu0 = pids.reduce((sum, p) => sum + cpuSeconds(p), 0);
        const t0 = Date.now();
        let n = 0;
        let failed = 0;
        const end = t0 + SECONDS * 1000;
        const next = () => chats[n++ % chats.length];
        if (load === 'moderate' || load === 'first') {
          const pending: Promise<void>[] = [];
          const interval = 1000 / RATE;
          while (load === 'first' ? n < chats.length * svcs.length : Date.now() < end) {
            if (load === 'first') pinned = Math.floor(n / chats.length);
            const chat = next();
            pending.push(send(direction, chat, `${runId}-${n}`).then((s) => void (s !== 200 && failed++)));
            const due = t0 + n * interval;
            const wait = due - Date.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
          pinned = undefined;
          await Promise.all(pending);
        } else {
          await Promise.all(
            Array.from({ length: CONCURRENCY }, async () => {
              while (Date.now() < end) {
                const chat = next();
                if ((await send(direction, chat, `${runId}-${n}`)) !== 200) failed++;
              }
            }),
          );
        }
        const sent = n;
        const drainUntil = Date.now() + 120_000;
        while (clock.latencies.length < sent - failed && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 100));
        const seconds = (Date.now() - t0) / 1000;
        if (profiling) {
          for (const p of pids) process.kill(p, 'SIGHUP');
          await new Promise((r) => setTimeout(r, 2000)); // the profile is written before the process may be killed
        }
        const cpu = pids.reduce((sum, p) => sum + cpuSeconds(p), 0) - cpu0;
        const after = await counts(cosmos);
        const sorted = [...clock.latencies].sort((a, b) => a - b);
        const ops = before && after ? Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] - (before[k] ?? 0)) / Math.max(1, sorted.length)])) : undefined;
        table.push({
          mode,
          direction,
          load,
          r: { sent, delivered: sorted.length, failedRequests: failed, seconds, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), cpuMsPerMessage: (cpu * 1000) / Math.max(1, sorted.length), cosmosOps: ops },
        });
        const row = table[table.length - 1];
        console.error(`${mode} ${direction} ${load}: ${row.r.delivered}/${sent} delivered in ${seconds.toFixed(1)} s, p50 ${row.r.p50} ms, p99 ${row.r.p99} ms`);
      }
    }

    // The in-memory store keeps every chat in the process by design: RSS is measured where the state lives in Cosmos.
    if (mode === 'cosmos' && cosmos && RSS_ESCALATIONS > chats.length) {
      const deps = { cosmos, url: svc.url, pid, agent, teamsUrl, pva, concurrency: CONCURRENCY, delivered: () => clock.latencies.length, track: (token: string) => void clock.sentAt.set(token, Date.now()) };
      clock.latencies.length = 0;
      extras.push(await rssStep(deps, chats, RSS_ESCALATIONS));
    }
    for (const x of svcs) x.child.kill('SIGKILL');
    await cosmos?.kill();
  }
  await stub.stop();

  console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`Loads: moderate = ${RATE} msg/s open loop; saturating = ${CONCURRENCY} concurrent senders, closed loop; ${SECONDS} s each; ${ESCALATIONS} open chats\n`);
  console.log('| mode | direction | load | sent | delivered | msg/s | p50 ms | p95 ms | p99 ms | CPU ms/msg | Cosmos ops/msg |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { mode, direction, load, r } of table) {
    const ops = r.cosmosOps ? Object.entries(r.cosmosOps).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') : '–';
    console.log(`| ${mode} | ${direction} | ${load} | ${r.sent} | ${r.delivered} | ${(r.delivered / r.seconds).toFixed(0)} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.cpuMsPerMessage.toFixed(2)} | ${ops} |`);
  }
  console.log('');
  for (const line of extras) console.log(line);
}

/** The thread id of an escalation, once its card thread was created on the stub. */
async function threadOf(clock: Clock, escalationId: string): Promise<string> {
  const until = Date.now() + 60_000;
  while (!clock.threads.has(escalationId) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return clock.threads.get(escalationId) ?? '';
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
