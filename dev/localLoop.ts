/**
 * The whole handover on one machine, no tenant: the service on the embedded store, the Agents Playground as the
 * agents' Teams (or the demo live-chat desk), and the customer simulator as Copilot Studio plus the customer's Teams chat. `npm run dev` and the
 * browser test both start it through here, so the test exercises exactly what a newcomer runs.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { startApp, type RunningApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logging';
import { DemoDesk } from './desk/demoDesk';
import { CustomerSimulator } from './simulator/customerSimulator';
import { readPlaygroundTeam, startPlayground, type PlaygroundProcess, type PlaygroundTeam } from './playground';

export interface LocalLoopOptions {
  /** The project root (where .m365agentsplayground.yml and skill-manifest.json are). */
  root: string;
  /** 0 picks a free port. */
  servicePort?: number;
  playgroundPort?: number;
  simulatorPort?: number;
  /** The service's environment before the loop's own settings (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** The agents' desk: the Agents Playground as Teams (default), or the demo live-chat desk (DEV_DESK=livechat). */
  desk?: 'teams' | 'livechat';
  deskPort?: number;
}

export interface LocalLoop {
  service: RunningApp;
  /** The agents' Teams (with the Teams desk) or the demo live-chat desk (with `desk: 'livechat'`). */
  playground?: PlaygroundProcess;
  liveChatDesk?: DemoDesk;
  simulator: CustomerSimulator;
  team: PlaygroundTeam;
  stop(): Promise<void>;
}

export async function startLocalLoop(options: LocalLoopOptions): Promise<LocalLoop> {
  const team = readPlaygroundTeam(options.root);
  const playgroundPort = options.playgroundPort || (await freePort());
  const playgroundServiceUrl = `http://127.0.0.1:${playgroundPort}/_connector`;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const simulator = await new CustomerSimulator({ skillEndpoint: '', port: options.simulatorPort ?? 0 }).start();
    stops.push(() => simulator.stop());
    const env: NodeJS.ProcessEnv = {
      ...(options.env ?? process.env),
      PORT: String(options.servicePort ?? 0),
      HOST: '127.0.0.1',
      AGENT_TEAM_ID: team.teamId,
      AGENT_CHANNEL_ID: team.channelId,
      AGENT_TENANT_ID: team.tenantId,
      AGENT_SERVICE_URL: playgroundServiceUrl,
      TEAMS_SERVICE_URL_BASE: simulator.teamsServiceUrlBase,
    };
    let liveChatDesk: DemoDesk | undefined;
    if (options.desk === 'livechat') {
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      liveChatDesk = await new DemoDesk({ webhookUrl: '', secret, port: options.deskPort ?? 0 }).start();
      const started = liveChatDesk;
      stops.push(() => started.stop());
      Object.assign(env, { DESK: 'livechat', LIVECHAT_BASE_URL: liveChatDesk.url, LIVECHAT_WEBHOOK_SECRET: secret });
    }
    const config = loadConfig(env);
    if (!config.localMode) throw new Error('the local loop runs the service in local mode: unset SKILL_APP_ID, CONSOLE_APP_ID, COPILOT_APP_ID and NODE_ENV=production');
    const service = await startApp(config, { log: createLogger(config.logLevel), root: options.root });
    stops.push(() => service.close());
    simulator.setSkillEndpoint(`${service.url}/api/messages`);
    if (liveChatDesk) {
      liveChatDesk.setWebhookUrl(`${service.url}/api/livechat/messages`);
      return { service, liveChatDesk, simulator, team, stop };
    }
    const playground = await startPlayground({ root: options.root, port: playgroundPort, botEndpoint: `${service.url}/api/console/messages` });
    stops.push(() => playground.stop());
    return { service, playground, simulator, team, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}
