/**
 * The only reader of process.env. Every setting is typed and validated at start-up; a wrong or missing one
 * stops the start with a message naming it. Documented in README.md and env/.env.local / env/.env.dev.
 */
import { randomBytes } from 'node:crypto';
import { productionProblems } from './productionSettings';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { TimerPolicy } from './core/timers';
import { deskSettingsOf, type DeskSettings } from './deskSettings';
import { fileSettingsOf, type FileSettings } from './fileSettings';
import { parseAgentQueues, type AgentQueue } from './queueSettings';
import { timerPolicyOf } from './timerSettings';

const csv = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true' || v === '1'));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const url = (fallback: string) => z.string().url().optional().transform((v) => (v && v !== '' ? v : fallback));
const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined))
  .pipe(z.string().url().optional());

/** A duration setting: whole seconds (fractions are refused, so a typo like 0.5 never means "off"), 0 = off. */
const seconds = (fallback: number) =>
  z.coerce.number({ invalid_type_error: 'a number of seconds' }).int({ message: 'whole seconds only (no fractions); 0 turns it off' }).min(0).max(30 * 86_400).default(fallback);

const raw = z.object({
  NODE_ENV: z.string().optional().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  /** Default: every interface, or loopback only in local mode (no token is checked there). */
  HOST: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_BASE_URL: optionalUrl,
  // At most 1 MiB: a line is stored whole, and a Cosmos DB item holds 2 MB (a larger one would fail at every retry).
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024, 'at most 1048576 (1 MiB): a line is stored whole, and a Cosmos DB item holds 2 MB').default(256 * 1024),

  SKILL_APP_ID: optionalString,
  SKILL_APP_PASSWORD: optionalString,
  SKILL_APP_TENANT_ID: optionalString,
  ALLOWED_CALLERS: csv,
  ALLOWED_TENANTS: csv,

  COPILOT_APP_ID: optionalString,
  COPILOT_APP_PASSWORD: optionalString,
  COPILOT_APP_TENANT_ID: optionalString,

  CONSOLE_APP_ID: optionalString,
  CONSOLE_APP_PASSWORD: optionalString,
  CONSOLE_APP_TENANT_ID: optionalString,
  AGENT_TEAM_ID: optionalString,
  AGENT_CHANNEL_ID: optionalString,
  AGENT_TENANT_ID: optionalString,
  AGENT_SERVICE_URL: optionalUrl,
  NOTE_MARKER: z.string().min(1).default('/note'),
  AGENT_QUEUES: z.string().optional().default(''),
  SUPERVISORS: csv.pipe(z.array(z.string().uuid({ message: 'each supervisor is an Entra object id (a GUID)' }))),

  ENTRA_AUTHORITY: url('https://login.microsoftonline.com'),
  BOTFRAMEWORK_OPENID_METADATA_URL: url('https://login.botframework.com/v1/.well-known/openidconfiguration'),
  TEAMS_SERVICE_URL_BASE: url('https://smba.trafficmanager.net/'),
  TEAMS_REGION: optionalString,
  ALLOWED_SERVICE_URL_HOSTS: csv,
  ALLOW_LOOPBACK_SERVICE_URLS: bool(false),

  COSMOS_ENDPOINT: optionalUrl,
  COSMOS_KEY: optionalString,
  COSMOS_USE_MANAGED_IDENTITY: bool(false),
  COSMOS_DATABASE: z.string().min(1).default('handover'),
  COSMOS_CA_FILE: optionalString,
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),

  INSTANCE_ID: optionalString,
  WEBSITE_INSTANCE_ID: optionalString,
  DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  SWEEP_INTERVAL_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  TEAMS_TENANT_RPS: z.coerce.number().min(1).max(10_000).default(50),

  QUEUE_UPDATE_SECONDS: seconds(60),
  WAIT_ESTIMATE_MIN_SAMPLES: z.coerce.number().int({ message: 'a whole number of claims' }).min(1).max(100_000).default(20),
  SLA_CLAIM_SECONDS: seconds(300),
  SLA_NOTIFY: z.string().optional().default(''),
  SLA_LEAD_SECONDS: seconds(900),
  SLA_LEADS: z.string().optional().default(''),
  SLA_REPLY_SECONDS: seconds(300),
  INACTIVITY_CHECKIN_SECONDS: seconds(600),
  INACTIVITY_CLOSE_SECONDS: seconds(300),
  OFFICE_HOURS: z.string().optional().default(''),
  OFFICE_TIMEZONE: z.string().optional().default('UTC'),
  HOLIDAYS: z.string().optional().default(''),

  TRANSCRIPT_ON_CLOSE: bool(true),
  SURVEY_ON_RESOLVE: bool(true),

  BLOB_ENDPOINT: optionalUrl,
  BLOB_CONNECTION_STRING: optionalString,
  BLOB_CONTAINER: z.string().regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'a Blob container name: 3–63 lowercase letters, digits and single hyphens').default('files'),
  FILE_LINK_SECRET: optionalString.pipe(z.string().min(32, 'at least 32 characters (e.g. `openssl rand -base64 48`)').optional()),
  FILE_LINK_MINUTES: z.coerce.number().int({ message: 'whole minutes' }).min(1).max(7 * 24 * 60).default(60),
  MAX_IMAGE_BYTES: z.coerce.number().int().min(1024).max(20 * 1024 * 1024).default(4 * 1024 * 1024),

  DESK: z.enum(['teams', 'livechat']).default('teams'),
  LIVECHAT_BASE_URL: optionalUrl,
  LIVECHAT_API_KEY: optionalString,
  LIVECHAT_BEARER_TOKEN: optionalString,
  LIVECHAT_WEBHOOK_SECRET: optionalString.pipe(z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'the Standard Webhooks form: whsec_ and at least 24 base64 characters').optional()),
});

export type RawSettings = z.infer<typeof raw>;

/** Every environment variable the service reads (documented in README.md, env/ and infra/azure.bicep). */
export const SETTING_NAMES: readonly string[] = Object.keys(raw.shape);

/** Set by the platform, not by an admin: App Service names each instance. */
export const PLATFORM_SETTINGS: readonly string[] = ['WEBSITE_INSTANCE_ID'];

export interface AppRegistration {
  appId: string;
  password?: string;
  tenantId?: string;
}

export interface Config {
  production: boolean;
  /** No app credentials outside production: inbound auth off, outbound without tokens, loopback allowed. */
  localMode: boolean;
  port: number;
  host: string;
  logLevel: string;
  publicBaseUrl?: string;
  maxBodyBytes: number;
  skill?: AppRegistration;
  allowedCallers: string[];
  allowedTenants: string[];
  copilot?: AppRegistration;
  console?: AppRegistration;
  agentChannel: { teamId?: string; channelId?: string; tenantId?: string; serviceUrl?: string };
  /** Named queues besides the default one (AGENT_QUEUES): each served by a channel, optionally routed by rules. */
  agentQueues: AgentQueue[];
  /** Entra object ids of the supervisors: Reassign and Force close on every card. */
  supervisors: string[];
  noteMarker: string;
  entraAuthority: string;
  botFrameworkOpenIdMetadataUrl: string;
  teamsServiceUrlBase: string;
  teamsRegion?: string;
  allowedServiceUrlHosts: string[];
  allowLoopbackServiceUrls: boolean;
  cosmos: { endpoint?: string; key?: string; managedIdentity: boolean; database: string; caPem?: string };
  retentionDays: number;
  /** Names this instance on delivery leases; keep it stable across restarts of the same instance. */
  instanceId: string;
  deliveryLeaseMs: number;
  sweepIntervalMs: number;
  /** Outbound Bot Connector calls per second per tenant (Teams allows about 50 per app per tenant). */
  teamsTenantRps: number;
  /** Queue updates, SLA reminders, inactivity, office hours (all durations in seconds; 0 = off). */
  timers: TimerPolicy;
  waitEstimateMinSamples: number;
  /** What closing a chat also does: the transcript in its thread; the 1–5 survey after an agent's resolve. */
  closing: { transcriptOnClose: boolean; surveyOnResolve: boolean };
  /** Where images are stored (Blob Storage, or the embedded Azurite when none is set) and how links to them are signed. */
  files: FileSettings;
  /** Which desk serves escalations (Teams channel threads, or a live-chat desk's REST contract). */
  desks: DeskSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Hosts Teams and Bot Framework serve from; a serviceUrl elsewhere never receives a token. */
export const DEFAULT_SERVICE_URL_HOSTS = [
  'smba.trafficmanager.net',
  'botframework.com',
  'botframework.azure.us',
  'teams.microsoft.com',
  'teams.microsoft.us',
  // Copilot Studio's runtime (pvaruntime.<region>.gateway.prod.island.powerapps.com) answers skill calls here.
  'powerapps.com',
  'powerplatform.com',
];

function registration(id?: string, password?: string, tenantId?: string): AppRegistration | undefined {
  return id ? { appId: id, password, tenantId } : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (`RETENTION_DAYS=` in an env file, an empty app setting) means the default, never 0 or "".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = raw.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const v = parsed.data;
  const production = v.NODE_ENV === 'production';
  const problems: string[] = [];
  const anyCredentials = Boolean(v.SKILL_APP_ID || v.CONSOLE_APP_ID || v.COPILOT_APP_ID);
  const localMode = !production && !anyCredentials;

  if (!localMode) {
    if (!v.SKILL_APP_ID) problems.push('SKILL_APP_ID: required (the skill app registration that Copilot Studio calls)');
    if (!v.CONSOLE_APP_ID) problems.push('CONSOLE_APP_ID: required (the agent console bot registration)');
    if (!v.COPILOT_APP_ID) problems.push("COPILOT_APP_ID: required (the Copilot Studio agent's own registration, for proactive messages)");
    if (v.ALLOWED_CALLERS.length === 0) problems.push("ALLOWED_CALLERS: required (Copilot Studio's bot app id; comma-separated)");
    if (production) {
      for (const [name, value] of [['SKILL_APP_PASSWORD', v.SKILL_APP_PASSWORD], ['CONSOLE_APP_PASSWORD', v.CONSOLE_APP_PASSWORD], ['COPILOT_APP_PASSWORD', v.COPILOT_APP_PASSWORD]] as const) {
        if (!value) problems.push(`${name}: required in production (from the environment or a Key Vault reference)`);
      }
      if (v.ALLOW_LOOPBACK_SERVICE_URLS) problems.push('ALLOW_LOOPBACK_SERVICE_URLS: must not be true in production');
      if (!v.COSMOS_ENDPOINT) problems.push('COSMOS_ENDPOINT: required in production (the embedded store is for local runs)');
      if (!v.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL: required in production (the skill endpoint in the manifest)');
    }
  }
  if (v.COSMOS_ENDPOINT && !v.COSMOS_KEY && !v.COSMOS_USE_MANAGED_IDENTITY) {
    problems.push('COSMOS_KEY: required with COSMOS_ENDPOINT unless COSMOS_USE_MANAGED_IDENTITY=true');
  }
  if (v.ALLOWED_CALLERS.includes('*') && production) problems.push("ALLOWED_CALLERS: '*' is not allowed in production");
  if (production) productionProblems(v, problems);
  const queues = parseAgentQueues(v.AGENT_QUEUES, problems);
  const config: Config = {
    production,
    localMode,
    port: v.PORT,
    host: v.HOST ?? (localMode ? '127.0.0.1' : '0.0.0.0'),
    logLevel: v.LOG_LEVEL,
    publicBaseUrl: v.PUBLIC_BASE_URL,
    maxBodyBytes: v.MAX_BODY_BYTES,
    skill: registration(v.SKILL_APP_ID, v.SKILL_APP_PASSWORD, v.SKILL_APP_TENANT_ID),
    allowedCallers: v.ALLOWED_CALLERS,
    allowedTenants: v.ALLOWED_TENANTS,
    copilot: registration(v.COPILOT_APP_ID, v.COPILOT_APP_PASSWORD, v.COPILOT_APP_TENANT_ID),
    console: registration(v.CONSOLE_APP_ID, v.CONSOLE_APP_PASSWORD, v.CONSOLE_APP_TENANT_ID),
    agentChannel: { teamId: v.AGENT_TEAM_ID, channelId: v.AGENT_CHANNEL_ID, tenantId: v.AGENT_TENANT_ID, serviceUrl: v.AGENT_SERVICE_URL },
    agentQueues: queues,
    supervisors: v.SUPERVISORS.map((s) => s.toLowerCase()),
    noteMarker: v.NOTE_MARKER,
    entraAuthority: v.ENTRA_AUTHORITY.replace(/\/+$/, ''),
    botFrameworkOpenIdMetadataUrl: v.BOTFRAMEWORK_OPENID_METADATA_URL,
    teamsServiceUrlBase: v.TEAMS_SERVICE_URL_BASE.endsWith('/') ? v.TEAMS_SERVICE_URL_BASE : `${v.TEAMS_SERVICE_URL_BASE}/`,
    teamsRegion: v.TEAMS_REGION,
    allowedServiceUrlHosts: v.ALLOWED_SERVICE_URL_HOSTS.length ? v.ALLOWED_SERVICE_URL_HOSTS : DEFAULT_SERVICE_URL_HOSTS,
    allowLoopbackServiceUrls: localMode || v.ALLOW_LOOPBACK_SERVICE_URLS,
    cosmos: {
      endpoint: v.COSMOS_ENDPOINT,
      key: v.COSMOS_KEY,
      managedIdentity: v.COSMOS_USE_MANAGED_IDENTITY,
      database: v.COSMOS_DATABASE,
      caPem: v.COSMOS_CA_FILE ? readCa(v.COSMOS_CA_FILE, problems) : undefined,
    },
    retentionDays: v.RETENTION_DAYS,
    // Unique per process: two overlapping processes of one App Service instance never share a lease owner.
    instanceId: `${v.INSTANCE_ID ?? v.WEBSITE_INSTANCE_ID ?? hostname()}-p${process.pid}-${randomBytes(3).toString('hex')}`,
    deliveryLeaseMs: v.DELIVERY_LEASE_SECONDS * 1000,
    sweepIntervalMs: v.SWEEP_INTERVAL_SECONDS * 1000,
    teamsTenantRps: v.TEAMS_TENANT_RPS,
    timers: timerPolicyOf(v, problems),
    waitEstimateMinSamples: v.WAIT_ESTIMATE_MIN_SAMPLES,
    closing: { transcriptOnClose: v.TRANSCRIPT_ON_CLOSE, surveyOnResolve: v.SURVEY_ON_RESOLVE },
    files: fileSettingsOf(v, { production, localMode }, problems),
    desks: deskSettingsOf(v, queues, { production, localMode }, problems),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function readCa(path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`COSMOS_CA_FILE: cannot read ${path} (${(err as Error).message})`);
    return undefined;
  }
}
