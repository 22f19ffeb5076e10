/**
 * Runs the Microsoft 365 Agents Playground (the agents' Teams, emulated on loopback) as a child process, pointed at
 * the console bot. Its team and channel come from `.m365agentsplayground.yml` at the project root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

export const PLAYGROUND_CONFIG_FILE = '.m365agentsplayground.yml';

/** What the console needs to know about the emulated team (read from the Playground's config file). */
export interface PlaygroundTeam {
  tenantId: string;
  botName: string;
  teamId: string;
  teamName: string;
  channelId: string;
  channelName: string;
  currentUser: { id: string; name: string };
}

export function readPlaygroundTeam(root: string): PlaygroundTeam {
  const file = join(root, PLAYGROUND_CONFIG_FILE);
  const c = parse(readFileSync(file, 'utf8'));
  const channel = c?.team?.channels?.[0];
  if (!c?.tenantId || !c?.bot?.name || !c?.team?.id || !channel?.id || !c?.currentUser?.id) {
    throw new Error(`${file}: needs tenantId, bot.name, currentUser.id, team.id and one channel in team.channels`);
  }
  return {
    tenantId: String(c.tenantId),
    botName: String(c.bot.name),
    teamId: String(c.team.id),
    teamName: String(c.team.name ?? c.team.id),
    channelId: String(channel.id),
    channelName: String(channel.name ?? channel.id),
    currentUser: { id: String(c.currentUser.id), name: String(c.currentUser.name ?? c.currentUser.id) },
  };
}

export interface PlaygroundProcess {
  url: string;
  /** The Bot Connector the Playground emulates: every activity it sends carries this serviceUrl. */
  serviceUrl: string;
  output(): string;
  stop(): Promise<void>;
}

export interface PlaygroundOptions {
  root: string;
  port: number;
  /** The console bot's messaging endpoint. */
  botEndpoint: string;
  startTimeoutMs?: number;
}

export async function startPlayground(options: PlaygroundOptions): Promise<PlaygroundProcess> {
  const cli = join(dirname(require.resolve('@microsoft/m365agentsplayground/package.json')), 'cli.js');
  const url = `http://127.0.0.1:${options.port}`;
  const serviceUrl = `${url}/_connector`;
  const args = [cli, 'start', '-e', options.botEndpoint, '-c', 'msteams', '-p', String(options.port), '--su', serviceUrl, '--disable-telemetry'];
  const child = spawn(process.execPath, args, {
    cwd: options.root,
    // No browser is opened for you; no telemetry leaves the machine.
    env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', M365_AGENTS_PLAYGROUND_CONFIG_PATH: join(options.root, PLAYGROUND_CONFIG_FILE) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If this process dies without stopping it, the Playground must not outlive it holding the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const handle: PlaygroundProcess = { url, serviceUrl, output: () => output, stop: () => stopChild(child) };
  try {
    await waitForPing(url, child, options.startTimeoutMs ?? 30_000, () => output);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Agents Playground exited (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(`${url}/_debug/ping`);
      if (res.ok && (await res.text()).includes('pong')) return;
    } catch {
      // not listening yet
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`the Agents Playground did not answer ${url}/_debug/ping within ${timeoutMs} ms:\n${output()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
