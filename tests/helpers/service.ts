/** Starts the real service (embedded Cosmos-compatible store, real HTTP) against a connector stub. */
import pino from 'pino';
import { startApp, type AppOptions, type RunningApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { sharedBlobConnectionString, TEST_FILE_LINK_SECRET } from './azurite';
import type { ConnectorStub } from './connectorStub';

export const TEAM_ID = '19:agents-team@thread.tacv2';
export const CHANNEL_ID = '19:agents-channel@thread.tacv2';
export const AGENT_TENANT = '72f988bf-0000-4000-8000-000000000001';
export const CUSTOMER_TENANT = 'c0ffee00-0000-4000-8000-000000000002';

/** Where the stub's two roles live: the customer's Teams and the agents' team. */
export const bases = { customer: '/customer', teams: '/teams' };

export interface TestService extends RunningApp {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string }>;
}

export async function startService(stub: ConnectorStub, env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestService> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TEAMS_SERVICE_URL_BASE: `${stub.url}${bases.customer}/`,
    AGENT_SERVICE_URL: `${stub.url}${bases.teams}/`,
    AGENT_TEAM_ID: TEAM_ID,
    AGENT_CHANNEL_ID: CHANNEL_ID,
    AGENT_TENANT_ID: AGENT_TENANT,
    BLOB_CONNECTION_STRING: env.BLOB_ENDPOINT ? '' : await sharedBlobConnectionString(),
    FILE_LINK_SECRET: TEST_FILE_LINK_SECRET,
    ...env,
  });
  const app = await startApp(config, { log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), relay: { retries: 4, minDelayMs: 20, maxDelayMs: 200 }, ...options });
  return {
    ...app,
    async post(path, body, headers = {}) {
      const res = await fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text };
    },
  };
}
