/**
 * A service under benchmark, as a process of its own: `node dist/bench/entry.js floor|memory|cosmos`.
 * - floor: the same SDKs and HTTP path (restify, Agents SDK adapter for the skill, teams-ai's adapter for the
 *   console, the same Bot Connector client) relaying each line straight out, with no store and no rules;
 * - memory: the service on its in-memory store;
 * - cosmos: the service on a Cosmos-compatible server (COSMOS_ENDPOINT / COSMOS_CA_FILE from the driver).
 * Prints `listening <port>`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import restify from 'restify';
import pino from 'pino';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createConsoleAdapter } from '../src/console/consoleAdapter';
import { Connector } from '../src/outbound/connector';
import { createSkillAdapter, skillAuthConfig } from '../src/skill/skillAdapter';

async function floor(): Promise<number> {
  const config = loadConfig();
  const policy = { allowedHosts: config.allowedServiceUrlHosts, allowLoopback: true };
  const connector = new Connector(policy, { token: async () => '' });
  const skillAdapter = createSkillAdapter(skillAuthConfig(config), policy);
  const consoleAdapter = createConsoleAdapter(config);
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser({ maxBodySize: config.maxBodyBytes, mapParams: false }));
  const teams = config.agentChannel.serviceUrl!;
  const customerBase = config.teamsServiceUrlBase;
  server.post('/api/messages', async (req: restify.Request, res: restify.Response) => {
    await skillAdapter.process(req as never, res as never, async (ctx) => {
      const a = ctx.activity;
      void connector.send(teams, `floor-thread|${a.conversation!.id}`, { type: 'message', text: `${a.from?.name}: ${a.text}`, textFormat: 'plain' });
    });
  });
  server.post('/api/console/messages', async (req: restify.Request, res: restify.Response) => {
    await consoleAdapter.process(req as never, res as never, async (ctx) => {
      const a = ctx.activity;
      void connector.send(`${customerBase}floor/`, `floor-customer|${a.conversation.id}`, { type: 'message', text: `**${a.from.name}**: ${a.text}` });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return (server.address() as AddressInfo).port;
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
  let port: number;
  if (mode === 'floor') port = await floor();
  else if (mode === 'memory' || mode === 'cosmos') port = (await startApp(loadConfig(), { store: mode, log: pino({ level: 'warn' }) })).port;
  else throw new Error(`unknown mode ${mode}`);
  console.log(`listening ${port}`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
