/**
 * `npm run dev`: the local loop on fixed ports, until Ctrl+C.
 *   agents' Teams (Agents Playground)  http://127.0.0.1:56150
 *   customer (simulator)               http://127.0.0.1:3979
 *   service                            http://127.0.0.1:3978
 * DEV_DESK=livechat: the demo live-chat desk (http://127.0.0.1:3980) instead of the Playground.
 */
import { join } from 'node:path';
import { startLocalLoop } from './localLoop';
import { runUntilStopped } from './runUntilStopped';

const port = (name: string, fallback: number) => {
  const v = process.env[name];
  const n = v ? Number(v) : fallback;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`${name}: must be a port number (got '${v}')`);
    process.exit(1);
  }
  return n;
};

async function main(): Promise<{ stop(): Promise<void> }> {
  const root = join(__dirname, '..', '..');
  const deskKind = process.env.DEV_DESK || 'teams';
  if (deskKind !== 'teams' && deskKind !== 'livechat') {
    console.error(`DEV_DESK: teams (the Agents Playground) or livechat (the demo live-chat desk), got '${deskKind}'`);
    process.exit(1);
  }
  const loop = await startLocalLoop({
    root,
    servicePort: port('PORT', 3978),
    playgroundPort: port('DEV_PLAYGROUND_PORT', 56150),
    simulatorPort: port('DEV_SIMULATOR_PORT', 3979),
    desk: deskKind,
    deskPort: port('DEV_DESK_PORT', 3980),
  });
  const t = loop.team;
  if (loop.liveChatDesk) {
    console.log(`
  Local loop running (embedded store and Azurite, no tenant), with the demo live-chat desk:
    Agents' desk (demo live-chat desk): ${loop.liveChatDesk.url}
    Customer chat (simulator):          ${loop.simulator.url}
    Service:                            ${loop.service.url}
  In the customer chat type a problem and press "Talk to a person"; the chat appears in the desk's list.
  Select it, press Join, answer, and press "Close chat". Ctrl+C stops everything.
`);
    return loop;
  }
  console.log(`
  Local loop running (embedded store and Azurite, no tenant):
    Agents' Teams (Agents Playground): ${loop.playground!.url}   open "${t.teamName} - ${t.channelName}" first
    Customer chat (simulator):         ${loop.simulator.url}
    Service:                           ${loop.service.url}
  In the customer chat type a problem and press "Talk to a person"; the card appears in ${t.channelName}.
  Claim it, reply in its thread with @${t.botName.split(' ')[0]}, and press Resolve. Ctrl+C stops everything.
`);
  return loop;
}

runUntilStopped('npm run dev', main);
