/**
 * `npm run simulator`: the customer simulator on its own, against a service started elsewhere (any machine you
 * trust). Start that service in local mode with TEAMS_SERVICE_URL_BASE set to the URL printed below, so that its
 * proactive messages to the customer come here.
 *   SKILL_ENDPOINT      the service's skill endpoint (default http://127.0.0.1:3978/api/messages)
 *   DEV_SIMULATOR_PORT  this page's port (default 3979)
 */
import { runUntilStopped } from '../runUntilStopped';
import { CustomerSimulator } from './customerSimulator';

async function main(): Promise<{ stop(): Promise<void> }> {
  const skillEndpoint = process.env.SKILL_ENDPOINT || 'http://127.0.0.1:3978/api/messages';
  const port = Number(process.env.DEV_SIMULATOR_PORT || 3979);
  if (!/^https?:\/\/[^/]+\/.+/.test(skillEndpoint)) throw new Error(`SKILL_ENDPOINT: must be the skill's URL, e.g. http://127.0.0.1:3978/api/messages (got '${skillEndpoint}')`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`DEV_SIMULATOR_PORT: must be a port number (got '${process.env.DEV_SIMULATOR_PORT}')`);
  const simulator = await new CustomerSimulator({ skillEndpoint, port }).start();
  console.log(`customer simulator: ${simulator.url}  (Copilot Studio → ${skillEndpoint})`);
  console.log(`start the service with TEAMS_SERVICE_URL_BASE=${simulator.teamsServiceUrlBase}`);
  return simulator;
}

runUntilStopped('npm run simulator', main);
