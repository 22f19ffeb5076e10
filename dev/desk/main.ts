/**
 * `npm run desk`: the demo live-chat desk on its own, against a service started elsewhere. Start that service with
 * the DESK, LIVECHAT_BASE_URL and LIVECHAT_WEBHOOK_SECRET printed below.
 *   SERVICE_URL              the service (default http://127.0.0.1:3978)
 *   DEV_DESK_PORT            this page's port (default 3980)
 *   LIVECHAT_WEBHOOK_SECRET  the shared whsec_… secret (made up and printed when not set)
 *   LIVECHAT_API_KEY         when set, the service's calls must carry it
 */
import { randomBytes } from 'node:crypto';
import { runUntilStopped } from '../runUntilStopped';
import { DemoDesk } from './demoDesk';

async function main(): Promise<{ stop(): Promise<void> }> {
  const service = (process.env.SERVICE_URL || 'http://127.0.0.1:3978').replace(/\/+$/, '');
  const port = Number(process.env.DEV_DESK_PORT || 3980);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`DEV_DESK_PORT: must be a port number (got '${process.env.DEV_DESK_PORT}')`);
  const secret = process.env.LIVECHAT_WEBHOOK_SECRET || `whsec_${randomBytes(32).toString('base64')}`;
  const desk = await new DemoDesk({ webhookUrl: `${service}/api/livechat/messages`, secret, apiKey: process.env.LIVECHAT_API_KEY || undefined, port }).start();
  console.log(`demo live-chat desk: ${desk.url}  (agents' actions → ${service}/api/livechat/messages, signed)`);
  console.log(`start the service with DESK=livechat LIVECHAT_BASE_URL=${desk.url} LIVECHAT_WEBHOOK_SECRET=${secret}`);
  return desk;
}

runUntilStopped('npm run desk', main);
