/**
 * A service under benchmark, as a process of its own: `node dist/bench/entry.js floor|memory|cosmos`.
 * - floor: the same SDKs and HTTP path (restify, Agents SDK adapter for the skill, teams-ai's adapter for the
 *   console, the same Bot Connector client) relaying each line straight out, with no store and no rules;
 * - memory: the service on its in-memory store;
 * - cosmos: the service on a Cosmos-compatible server (COSMOS_ENDPOINT / COSMOS_CA_FILE from the driver).
 * BENCH_VARIANT changes the memory mode, to tell where its gap to the floor lies (docs/BENCHMARKS.md, tenth session):
 * - hollow: the whole service with its chats, but each line skips the core, the store, the delivery room and the
 *   outbound edge (desk, customer channel, rate limits): the handover's customerMessage / agentMessage send it straight
 *   out as the floor does. A customer line then has no look-up either; an agent line is still found by its thread and
 *   its agent checked. The HTTP edge, the skill's and the console's turns (teams-ai's Application included), the
 *   process and its open chats stay;
 * - edge: the floor behind the service's own HTTP edge (src/http/server.ts), with no app and no chats.
 * Prints `listening <port>`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import restify from 'restify';
import pino from 'pino';
import { startApp } from '../src/app';
import { loadConfig, type Config } from '../src/config';
import { createConsoleAdapter } from '../src/console/consoleAdapter';
import { Handover } from '../src/core/handover';
import type { Escalation } from '../src/core/escalation';
import { deferredResponse } from '../src/http/deferredResponse';
import { chainable } from '../src/http/restifyResponse';
import { createServer } from '../src/http/server';
import { wireBody } from '../src/http/wireActivity';
import { Connector } from '../src/outbound/connector';
import { createSkillAdapter, skillAuthConfig } from '../src/skill/skillAdapter';

/** The floor's service-URL policy: the configured hosts, and the loopback stub. */
const floorPolicy = (config: Config) => ({ allowedHosts: config.allowedServiceUrlHosts, allowLoopback: true });

/** The floor's relay: each line straight to the stub, not awaited. */
function floorRelay(config: Config) {
  const connector = new Connector(floorPolicy(config), { token: async () => '' });
  const teams = config.agentChannel.serviceUrl!;
  const customerBase = config.teamsServiceUrlBase;
  return {
    toDesk: (conversationId: string, name: string | undefined, text: string | undefined) =>
      void connector.send(teams, `floor-thread|${conversationId}`, { type: 'message', text: `${name}: ${text}`, textFormat: 'plain' }),
    toCustomer: (conversationId: string, name: string | undefined, text: string | undefined) =>
      void connector.send(`${customerBase}floor/`, `floor-customer|${conversationId}`, { type: 'message', text: `**${name}**: ${text}` }),
  };
}

async function floor(variant: string | undefined): Promise<number> {
  const config = loadConfig();
  const relay = floorRelay(config);
  const skillAdapter = createSkillAdapter(skillAuthConfig(config), floorPolicy(config));
  const consoleAdapter = createConsoleAdapter(config);
  // restify takes only `async` functions as two-argument handlers.
  const skill = async (req: restify.Request, res: unknown) =>
    skillAdapter.process(req as never, res as never, async (ctx) => relay.toDesk(ctx.activity.conversation!.id, ctx.activity.from?.name, ctx.activity.text));
  const consoleRoute = async (req: restify.Request, res: unknown) =>
    consoleAdapter.process(req as never, res as never, async (ctx) => relay.toCustomer(ctx.activity.conversation.id, ctx.activity.from.name, ctx.activity.text));
  let server: restify.Server;
  if (variant === 'edge') {
    // No token check: the benchmark runs the service in local mode, where its gates check none either. The
    // service-URL check its routes also make is left out: a remembered verdict, 0.03 µs a request (bench/lineCosts.ts).
    const noTokenCheck = async () => true;
    const log = pino({ level: 'warn' });
    // The responses as the service writes them: the skill's through the chainable shim, the console's deferred.
    const skillEdge = async (req: restify.Request, res: restify.Response) => skill(req, chainable(res, wireBody));
    const consoleEdge = async (req: restify.Request, res: restify.Response) => {
      const deferred = deferredResponse(res);
      await consoleRoute(req, deferred);
      deferred.flush();
    };
    server = createServer({ maxBodyBytes: config.maxBodyBytes, retentionDays: 1, log, manifest: () => ({}), health: async () => ({}), skill: { gate: noTokenCheck, process: skillEdge }, console: { gate: noTokenCheck, process: consoleEdge } });
  } else {
    server = restify.createServer();
    server.use(restify.plugins.bodyParser({ maxBodySize: config.maxBodyBytes, mapParams: false }));
    server.post('/api/messages', skill);
    server.post('/api/console/messages', consoleRoute);
  }
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return (server.address() as AddressInfo).port;
}

/** BENCH_VARIANT=hollow: the handover's two message paths become the floor's relay (see the top of this file). */
function hollowOut(config: Config): void {
  const relay = floorRelay(config);
  Handover.prototype.customerMessage = async (line) => {
    relay.toDesk(line.conversationId, 'Customer', line.text);
    // The skill's turn returns on 'relayed' without reading the escalation, which this path never looks up.
    return { kind: 'relayed', escalation: undefined as unknown as Escalation };
  };
  Handover.prototype.agentMessage = async (found, agent, text) => {
    relay.toCustomer(found.customer.conversationId, agent.name, text);
    return { kind: 'relayed', escalation: found, claimed: false };
  };
}

async function main(): Promise<void> {
  // The driver measures RSS after a collection (bench/rss.ts); the process runs with --expose-gc.
  process.on('SIGUSR2', () => (globalThis as { gc?: () => void }).gc?.());
  // BENCH_CPU_PROF: the driver sends SIGHUP before and after each saturating run; the profile of that run is written.
  const dir = process.env.BENCH_CPU_PROF;
  let session: Session | undefined;
  let profiles = 0;
  if (dir) {
    process.on('SIGHUP', () => {
      if (!session) {
        session = new Session();
        session.connect();
        session.post('Profiler.enable', () => session!.post('Profiler.start'));
        return;
      }
      const s = session;
      session = undefined;
      s.post('Profiler.stop', (err, res) => {
        if (!err) writeFileSync(join(dir, `${process.pid}-${++profiles}.cpuprofile`), JSON.stringify(res.profile));
        s.disconnect();
      });
    });
  }
  const mode = process.argv[2];
  const variant = mode === 'memory' ? process.env.BENCH_VARIANT : undefined;
  let port: number;
  if (mode === 'floor' || variant === 'edge') port = await floor(variant);
  else if (mode === 'memory' || mode === 'cosmos') {
    if (variant === 'hollow') hollowOut(loadConfig());
    port = (await startApp(loadConfig(), { store: mode, log: pino({ level: 'warn' }) })).port;
  } else throw new Error(`unknown mode ${mode}`);
  console.log(`listening ${port}`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
