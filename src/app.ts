/**
 * The composition root: builds the store, the outbound connectors, the handover core, both bots and the HTTP
 * server from a validated Config. Nothing else constructs these parts.
 */
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'restify';
import type { Config } from './config';
import { AgentAccess } from './console/agentAccess';
import { AgentChannelRegistry } from './console/agentChannel';
import { createConsoleAdapter } from './console/consoleAdapter';
import { createConsoleApp } from './console/consoleBot';
import { TEAMS_CHANNEL_DESK, TeamsChannelDesk } from './console/teamsChannelDesk';
import { Handover } from './core/handover';
import type { Clock } from './core/ports';
import { QueueWatch } from './core/queueWatch';
import { Timekeeper } from './core/timekeeper';
import { TeamRoster } from './console/teamRoster';
import { TeamsMentions } from './console/teamsMentions';
import type { Logger } from './core/logger';
import type { AgentDesk, CustomerChannel } from './delivery/ports';
import { Relay, type RelayOptions } from './delivery/relay';
import { fileLinkSigner } from './files/fileLinks';
import { ImageIntake } from './files/imageIntake';
import { deferredResponse } from './http/deferredResponse';
import { fileRoute } from './http/fileRoute';
import { sendError } from './http/errorResponse';
import { chainable } from './http/restifyResponse';
import { createServer, routes } from './http/server';
import { skillAuth } from './http/skillAuth';
import { wireBody } from './http/wireActivity';
import { LiveChatClient } from './livechat/liveChatClient';
import { LIVECHAT_DESK, LiveChatDesk } from './livechat/liveChatDesk';
import { liveChatWebhook } from './livechat/liveChatWebhook';
import { createLogger } from './logging';
import { Connector } from './outbound/connector';
import { hostOf, serviceUrlRefusal, type ServiceUrlPolicy } from './outbound/serviceUrlPolicy';
import { LaneRateMemory } from './outbound/laneRateMemory';
import { TeamsRateLimiter } from './outbound/teamsRateLimiter';
import { tokenSourceFor, type TokenSource } from './outbound/tokenSource';
import { connectCosmos, type CosmosSettings } from './store/cosmos/cosmosClient';
import { connectBlobStore } from './store/blob/blobFileStore';
import { startEmbeddedAzurite } from './store/blob/embeddedAzurite';
import { createCosmosStore } from './store/cosmos/cosmosStore';
import type { HandoverStore } from './store/handoverStore';
import { createMemoryStore } from './store/memory/memoryStore';
import { createSkillAdapter, skillAuthConfig } from './skill/skillAdapter';
import { createSkillLogic } from './skill/skillBot';
import { loadSkillManifest } from './skill/skillManifest';
import { TEAMS_CUSTOMER_CHANNEL, TeamsCustomerChannel } from './skill/teamsCustomerChannel';

export interface AppOptions {
  log?: Logger;
  /** 'memory' only for the benchmark's baseline; the service and its tests use Cosmos. */
  store?: 'cosmos' | 'memory';
  /** Extra Cosmos settings (a CA to trust for a Cosmos-compatible server run as its own process). */
  cosmos?: Partial<CosmosSettings>;
  relay?: Partial<RelayOptions>;
  /** The project folder, where skill-manifest.json lives. */
  root?: string;
  /** The clock of the core, the timers and the delivery room (tests pass their own). */
  clock?: Clock;
  /** Token sources in place of Entra's (tests: Entra is unreachable here). */
  tokens?: { customer?: TokenSource; desk?: TokenSource };
}

export interface RunningApp {
  url: string;
  port: number;
  server: Server;
  handover: Handover;
  relay: Relay;
  timekeeper: Timekeeper;
  store: HandoverStore;
  close(): Promise<void>;
}

export async function startApp(config: Config, options: AppOptions = {}): Promise<RunningApp> {
  const log = options.log ?? createLogger(config.logLevel);
  if (config.localMode) {
    log.warn({}, 'LOCAL MODE: no app credentials are set, so inbound tokens are NOT checked and outbound calls carry no token. Never expose this instance.');
  }
  if (config.sweepIntervalMs === 0) {
    const t = config.timers;
    const timersOn = [t.queueUpdateSeconds, t.claimSeconds, t.leadSeconds, t.replySeconds, t.checkInSeconds, t.closeSeconds].some((s) => s > 0);
    log.warn({}, `SWEEP_INTERVAL_SECONDS=0: no heartbeats and no sweep, so this instance neither sees other instances nor recovers their lines${timersOn ? ', and no timer fires after start-up (queue updates, SLA and inactivity reminders, the inactivity close)' : ''}. Run a single instance only.`);
  }

  const cosmos = options.store === 'memory' ? undefined : await connectCosmos({ ...config.cosmos, ...options.cosmos }, log);
  const store = cosmos
    ? await createCosmosStore(cosmos.client, { database: config.cosmos.database, retentionSeconds: config.retentionDays * 86_400 })
    : createMemoryStore();

  // Images: Blob Storage when configured, else the embedded Azurite (local runs only: production requires Blob Storage).
  const azurite = config.files.connectionString || config.files.blobEndpoint ? undefined : await startEmbeddedAzurite();
  const files = await connectBlobStore({ ...config.files, connectionString: config.files.connectionString ?? azurite?.connectionString }).catch(async (err: unknown) => {
    await azurite?.close();
    throw err;
  });
  if (config.files.linkSecretGenerated) log.warn({}, 'FILE_LINK_SECRET is not set: links to images are signed with a key made for this process only.');
  // Links are made at each send, lines from before a restart included: known before the relay starts when possible.
  let baseUrl = config.publicBaseUrl ?? (config.port ? `http://127.0.0.1:${config.port}` : '');
  if (!config.localMode && !config.publicBaseUrl) log.warn({}, 'PUBLIC_BASE_URL is not set: links to images point at this machine, which Teams and desks cannot reach.');
  const links = fileLinkSigner(config.files.linkSecret, config.files.linkMinutes, () => baseUrl);

  const policy: ServiceUrlPolicy = { allowedHosts: config.allowedServiceUrlHosts, allowLoopback: config.allowLoopbackServiceUrls };
  const limiter = new TeamsRateLimiter({ tenantRps: config.teamsTenantRps });
  const customerConnector = new Connector(policy, options.tokens?.customer ?? tokenSourceFor(config.copilot, config.entraAuthority), limiter);
  const deskConnector = new Connector(policy, options.tokens?.desk ?? tokenSourceFor(config.console, config.entraAuthority), limiter);

  const channels = new AgentChannelRegistry(store.settings, config.agentChannel, undefined, config.agentQueues);
  // The registries of desks and customer channels: an escalation names the ones that serve it.
  const clock: Clock = options.clock ?? (() => new Date());
  // Epoch ms without a Date per reading when the real clock is used (the delivery room reads it several times a line).
  const nowMs = options.clock ? () => clock().getTime() : () => Date.now();
  const roster = new TeamRoster(deskConnector, nowMs);
  const mentions = new TeamsMentions(roster, log);
  const desks = new Map<string, AgentDesk>([[TEAMS_CHANNEL_DESK, new TeamsChannelDesk(deskConnector, channels, config.noteMarker, mentions, clock, config.supervisors)]]);
  const liveChat = config.desks.liveChat;
  if (liveChat) desks.set(LIVECHAT_DESK, new LiveChatDesk(new LiveChatClient(liveChat.baseUrl, liveChat)));
  if (liveChat && !liveChat.webhookSecret) log.warn({}, 'LIVECHAT_WEBHOOK_SECRET is not set (local mode): the live-chat webhook accepts unsigned calls.');
  const queueDesk = new Map(config.agentQueues.map((q) => [q.name, q.desk ?? config.desks.desk]));
  const deskFor = (queue: string) => ((queueDesk.get(queue) ?? config.desks.desk) === 'livechat' ? LIVECHAT_DESK : TEAMS_CHANNEL_DESK);
  const customers = new Map<string, CustomerChannel>([[TEAMS_CUSTOMER_CHANNEL, new TeamsCustomerChannel(customerConnector)]]);
  const relay = new Relay({
    store,
    customers,
    desks,
    log,
    options: { instanceId: config.instanceId, leaseMs: config.deliveryLeaseMs, sweepIntervalMs: config.sweepIntervalMs, ...options.relay },
    memory: new LaneRateMemory(limiter),
    now: nowMs,
    fileLinks: (f) => ({ url: links.url(f.id, nowMs()), contentType: f.contentType, name: f.name }),
  });
  const queues = new QueueWatch(store.escalations, clock, { minSamples: config.waitEstimateMinSamples, hours: config.timers.hours });
  const handover = new Handover({ store, outbox: relay, log, clock, deskFor, timers: config.timers, queues, queueRules: config.agentQueues, closing: config.closing, retentionMs: config.retentionDays * 86_400_000 });
  relay.attach(handover.ledger);
  const timekeeper = new Timekeeper({ escalations: store.escalations, transcripts: store.transcripts, ledger: handover.ledger, queues, policy: config.timers, clock, log });
  relay.alsoSweep(() => timekeeper.sweep());

  const skillAuthConfiguration = skillAuthConfig(config);
  const skillAdapter = createSkillAdapter(skillAuthConfiguration, policy);
  const images = new ImageIntake(files, config.files.maxImageBytes, log);
  // A customer's attachment is fetched only from Copilot Studio's runtime that relayed it or the customers' Teams.
  const customerHosts = (serviceUrl: string) => [hostOf(serviceUrl), hostOf(config.teamsServiceUrlBase)].filter((h): h is string => !!h);
  const takeFiles = (attachments: unknown, from: { serviceUrl: string; activityId?: string }) =>
    images.take(attachments, (url, max) => customerConnector.download(url, max, customerHosts(from.serviceUrl)), { activityId: from.activityId });
  const skillLogic = createSkillLogic(handover, { teamsServiceUrl: { base: config.teamsServiceUrlBase, region: config.teamsRegion }, takeFiles }, log);

  const consoleAdapter = createConsoleAdapter(config);
  const access = new AgentAccess(channels, roster, config.agentChannel.tenantId, log);
  const consoleApp = createConsoleApp({ adapter: consoleAdapter, botAppId: config.console?.appId, handover, store: store.escalations, access, channels, connector: deskConnector, roster, noteMarker: config.noteMarker, requiredTenantId: config.agentChannel.tenantId, supervisors: config.supervisors, supervisorIds: (serviceUrl, teamId) => mentions.memberIds(config.supervisors, serviceUrl, teamId), images, log, deskOf: deskFor });

  const root = options.root ?? resolve(__dirname, '..', '..');
  let endpointUrl = '';
  const server = createServer({
    maxBodyBytes: config.maxBodyBytes,
    retentionDays: config.retentionDays,
    log,
    skill: {
      gate: skillAuth(skillAuthConfiguration, { enabled: !config.localMode, allowedCallers: config.allowedCallers, allowedTenants: config.allowedTenants }, log),
      process: async (req, res) => {
        const refused = serviceUrlRefusal((req.body as { serviceUrl?: string }).serviceUrl, policy);
        if (refused) return void res.send(400, { error: 'bad_request', reason: refused });
        await skillAdapter.process(req as never, chainable(res, wireBody) as never, skillLogic);
      },
    },
    console: {
      gate: async () => true, // the Bot Framework adapter validates the token inside process()
      process: async (req, res) => {
        const refused = serviceUrlRefusal((req.body as { serviceUrl?: string }).serviceUrl, policy);
        if (refused) return void res.send(400, { error: 'bad_request', reason: refused });
        let failure: unknown;
        const deferred = deferredResponse(res);
        await consoleAdapter.process(req as never, deferred as never, (ctx) =>
          consoleApp.run(ctx).then(
            () => undefined,
            (err: unknown) => {
              failure = err;
              throw err;
            },
          ),
        );
        if (failure) sendError(res, failure, log);
        else deferred.flush();
      },
    },
    manifest: () => loadSkillManifest(root, endpointUrl, config.skill?.appId),
    files: fileRoute(files, links, nowMs),
    liveChat: liveChat ? liveChatWebhook({ handover, lookups: store.lookups, secret: liveChat.webhookSecret, log }) : undefined,
    health: async () => (await store.ping(), { sweeps: relay.sweeps }),
  });

  // Undelivered entries from before a restart go first, ahead of new traffic.
  await relay.start();
  await new Promise<void>((ok) => server.listen(config.port, config.host, () => ok()));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  baseUrl ||= url;
  endpointUrl = `${(config.publicBaseUrl ?? `http://localhost:${port}`).replace(/\/+$/, '')}${routes.skill}`;
  log.info({ port, skillEndpoint: endpointUrl, store: cosmos ? (cosmos.embedded ? 'embedded' : 'cosmos') : 'memory' }, 'listening');

  return {
    url,
    port,
    server,
    handover,
    relay,
    timekeeper,
    store,
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      await relay.stop();
      await limiter.stop();
      await cosmos?.close();
      await azurite?.close();
    },
  };
}
