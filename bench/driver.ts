/**
 * The pieces `npm run bench` is made of: a service under benchmark as processes of its own with its chats opened
 * (`prepare`), and one measured run of a load in one direction against it (`measure`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectorStub, RecordedCall } from '../tests/helpers/connectorStub';
import { newCustomer, skill, teams, type Agent, type Customer } from '../tests/helpers/activities';
import { ownChild, postJson, startCosmosProcess, type CosmosProc } from '../tests/helpers/processes';
import { AGENT_TENANT, CHANNEL_ID, TEAM_ID } from '../tests/helpers/service';
import { counts } from './cosmosCounts';

export type Mode = 'floor' | 'memory' | 'cosmos' | 'cosmos2';
export type Direction = 'toDesk' | 'toCustomer';
export type Load = 'first' | 'moderate' | 'saturating';

export interface Options {
  seconds: number;
  rate: number;
  concurrency: number;
  escalations: number;
}

const root = join(__dirname, '..', '..');
const CLOCK_TICKS = 100;

interface Service {
  url: string;
  child: ChildProcess;
}

export interface Chat {
  customer: Customer;
  threadId: string;
  /** LiveChatConversationId, as Copilot Studio's topic passes it on every sendMessage. */
  escalationId?: string;
}

export interface RunResult {
  sent: number;
  delivered: number;
  failedRequests: number;
  seconds: number;
  p50: number;
  p95: number;
  p99: number;
  cpuMsPerMessage: number;
  /** The part of cpuMsPerMessage on the main (JavaScript) thread; the rest is V8's GC helpers and libuv's pool. */
  mainCpuMsPerMessage: number;
  cosmosOps?: Record<string, number>;
}

/** POSTs a JSON body and reads the whole answer (unparsed: the driver shares the CPU); the status. */
export const post = async (url: string, body: unknown): Promise<number> => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
};

/** A mode's service processes with their chats open. */
export interface Setup {
  mode: Mode;
  /** Set when the memory mode runs a variant instead of the whole service. */
  variant?: Variant;
  svcs: Service[];
  pids: number[];
  chats: Chat[];
  cosmos?: CosmosProc;
}

/** The stub's view of the run: when each line arrived, and each escalation's card thread. */
export class Clock {
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

  /** The thread id of an escalation, once its card thread was created on the stub. */
  async threadOf(escalationId: string): Promise<string> {
    const until = Date.now() + 60_000;
    while (!this.threads.has(escalationId) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.threads.get(escalationId) ?? '';
  }
}

/**
 * What the memory mode runs instead of the whole service, to tell where its gap to the floor lies (bench/entry.ts):
 * hollow (each line skips the core, the store, the delivery room and the outbound edge) or edge (the floor behind the
 * service's HTTP edge). BENCH_VARIANT sets it for a whole run. The edge variant has no app, so its chats are the floor's.
 */
export type Variant = 'hollow' | 'edge';

/** BENCH_VARIANT, checked (the driver asks before it starts anything). */
export function runVariant(): Variant | undefined {
  const v = process.env.BENCH_VARIANT || undefined;
  if (v !== undefined && v !== 'hollow' && v !== 'edge') throw new Error(`BENCH_VARIANT must be hollow or edge, not ${v}`);
  return v;
}

const variantOf = (mode: Mode, override?: Variant): Variant | undefined => (mode === 'memory' ? (override ?? runVariant()) : undefined);

/** A setup's name in the output: its mode, or its variant. */
export const nameOf = (setup: Setup): string => setup.variant ?? setup.mode;

async function startEntry(mode: Mode, env: Record<string, string>, variant?: Variant): Promise<Service> {
  // BENCH_PIN: the CPUs the services run on (taskset), so they do not share a core with the driver.
  const pin = process.env.BENCH_PIN ? ['taskset', '-c', process.env.BENCH_PIN] : [];
  // BENCH_NODE_FLAGS: V8/Node flags for every service process alike (the floor's too), e.g. a young-generation size.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(pin[0] ?? process.execPath, [...pin.slice(1), ...(pin.length ? [process.execPath] : []), ...flags, '--expose-gc', join(root, 'dist', 'bench', 'entry.js'), mode === 'cosmos2' ? 'cosmos' : mode], { env: { PATH: process.env.PATH ?? '', ...(process.env.BENCH_CPU_PROF ? { BENCH_CPU_PROF: process.env.BENCH_CPU_PROF } : {}), ...(variant ? { BENCH_VARIANT: variant } : {}), ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  // Killed with the driver: a benchmark that dies leaves no service running (nor holding its stderr).
  ownChild(child);
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

/** User + system CPU seconds of a process (all its threads), or of its main thread alone (`/proc/pid/task/pid`). */
function cpuSeconds(pid: number, mainThread = false): number {
  const fields = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Starts a mode's processes (or a variant's, which `override` names for this setup alone) and opens `escalations`
 * chats, each claimed by `agent`: the floor's and the edge variant's are just ids.
 */
export async function prepare(mode: Mode, stub: ConnectorStub, clock: Clock, agent: Agent, o: Options, override?: Variant): Promise<Setup> {
  const variant = variantOf(mode, override);
  const teamsUrl = `${stub.url}/teams/`;
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
  for (const id of instances) svcs.push(await startEntry(mode, { ...env, INSTANCE_ID: id, ...(mode === 'cosmos2' ? { SWEEP_INTERVAL_SECONDS: '5' } : {}) }, variant));
  if (mode === 'cosmos2') await new Promise((r) => setTimeout(r, 12_000)); // both have seen each other and are past their joining grace

  const chats: Chat[] = [];
  for (let i = 0; i < o.escalations; i += o.concurrency) {
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, o.escalations - i) }, async () => {
        const customer = newCustomer();
        if (mode === 'floor' || variant === 'edge') {
          chats.push({ customer, threadId: `19:floor-${customer.conversationId}@thread.tacv2;messageid=1` });
          return;
        }
        const res = await postJson(`${svcs[0].url}/api/messages`, skill.start(customer, { ProblemDescription: 'bench' }, { deliveryMode: 'expectReplies' }));
        const id = res.body.activities[0].value.LiveChatConversationId as string;
        const chat: Chat = { customer, threadId: '', escalationId: id };
        chats.push(chat);
        // Claim through the card action; the thread id comes back on the next card delivery, so wait for it.
        await post(`${svcs[0].url}/api/console/messages`, teams.action(agent, `19:bench-${id}@thread.tacv2;messageid=1`, '1', 'handover.claim', { escalationId: id }, teamsUrl));
        chat.threadId = await clock.threadOf(id);
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 2000));
  return { mode, variant, svcs, pids: svcs.map((x) => x.child.pid!), chats, cosmos };
}

export async function stop(setup: Setup): Promise<void> {
  for (const x of setup.svcs) x.child.kill('SIGKILL');
  await setup.cosmos?.kill();
}

/**
 * One measured run. first: one line in every chat at each instance (the first agent line records the time to first
 * response, the first line on a thread fills that process's thread cache); moderate: `rate` msg/s open loop;
 * saturating: `concurrency` senders closed loop. Later lines alternate between the instances (no affinity).
 */
export async function measure(setup: Setup, ctx: { clock: Clock; stub: ConnectorStub; agent: Agent; runId: number; seconds?: number; profile?: boolean }, direction: Direction, load: Load, o: Options): Promise<RunResult> {
  const { clock, agent, runId } = ctx;
  const { svcs, pids, chats, cosmos } = setup;
  const teamsUrl = `${ctx.stub.url}/teams/`;
  const pva = `${ctx.stub.url}/pvaruntime/`;
  clock.latencies.length = 0;
  clock.sentAt.clear();
  let turn = 0;
  let pinned: number | undefined;
  const send = (chat: Chat, token: string): Promise<number> => {
    clock.sentAt.set(token, Date.now());
    const target = pinned === undefined ? svcs[turn++ % svcs.length] : svcs[pinned];
    return direction === 'toDesk'
      ? post(`${target.url}/api/messages`, skill.message(chat.customer, `line bench-${token}`, { serviceUrl: pva, value: chat.escalationId ? { LiveChatConversationId: chat.escalationId } : {} }))
      : post(`${target.url}/api/console/messages`, teams.reply(agent, chat.threadId, `line bench-${token}`, teamsUrl));
  };
  if (ctx.profile) for (const p of pids) process.kill(p, 'SIGHUP');
  const before = await counts(cosmos);
  const cpu0 = pids.reduce((sum, p) => sum + cpuSeconds(p), 0);
  const main0 = pids.reduce((sum, p) => sum + cpuSeconds(p, true), 0);
  const t0 = Date.now();
  let n = 0;
  let failed = 0;
  const end = t0 + (ctx.seconds ?? o.seconds) * 1000;
  const next = () => chats[n++ % chats.length];
  if (load === 'moderate' || load === 'first') {
    const pending: Promise<void>[] = [];
    const interval = 1000 / o.rate;
    while (load === 'first' ? n < chats.length * svcs.length : Date.now() < end) {
      if (load === 'first') pinned = Math.floor(n / chats.length);
      const chat = next();
      pending.push(send(chat, `${runId}-${n}`).then((s) => void (s !== 200 && failed++)));
      const wait = t0 + n * interval - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    pinned = undefined;
    await Promise.all(pending);
  } else {
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (Date.now() < end) {
          if ((await send(next(), `${runId}-${n}`)) !== 200) failed++;
        }
      }),
    );
  }
  const sent = n;
  const drainUntil = Date.now() + 120_000;
  while (clock.latencies.length < sent - failed && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 100));
  const seconds = (Date.now() - t0) / 1000;
  if (ctx.profile) {
    for (const p of pids) process.kill(p, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 2000)); // the profile is written before the process may be killed
  }
  const cpu = pids.reduce((sum, p) => sum + cpuSeconds(p), 0) - cpu0;
  const main = pids.reduce((sum, p) => sum + cpuSeconds(p, true), 0) - main0;
  const after = await counts(cosmos);
  const sorted = [...clock.latencies].sort((a, b) => a - b);
  const ops = before && after ? Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] - (before[k] ?? 0)) / Math.max(1, sorted.length)])) : undefined;
  return { sent, delivered: sorted.length, failedRequests: failed, seconds, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), cpuMsPerMessage: (cpu * 1000) / Math.max(1, sorted.length), mainCpuMsPerMessage: (main * 1000) / Math.max(1, sorted.length), cosmosOps: ops };
}
