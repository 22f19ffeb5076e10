/**
 * The service and the Cosmos-compatible server as processes of their own, so a test can SIGKILL one and restart
 * it, or run several service instances on one store.
 */
import { sharedBlobConnectionString, TEST_FILE_LINK_SECRET } from './azurite';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${buffer.slice(-2000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = pattern.exec(buffer);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (buffer += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${buffer.slice(-2000)}`));
    });
  });
}

/** Every process these helpers (and the benchmark) started and that still runs. */
const children = new Set<ChildProcess>();
let reaperInstalled = false;

/**
 * Ties a child to this process's life: when this one exits, however it exits (a failed assertion's `process.exit`,
 * an uncaught error, SIGINT or SIGTERM), the child is killed too, so none lives on holding a port or an inherited pipe.
 */
export function ownChild(child: ChildProcess): ChildProcess {
  if (!reaperInstalled) {
    reaperInstalled = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface Proc {
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function proc(child: ChildProcess): Proc {
  return {
    child,
    kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((ok) => {
        child.once('exit', () => ok());
        child.kill(signal);
      });
    },
  };
}

export interface CosmosProc extends Proc {
  endpoint: string;
  caFile: string;
}

export async function startCosmosProcess(extraArgs: string[] = []): Promise<CosmosProc> {
  const dir = mkdtempSync(join(tmpdir(), 'cosmos-ca-'));
  const caFile = join(dir, 'ca.pem');
  const child = ownChild(spawn(process.execPath, [join(root, 'scripts', 'cosmos-server.js'), '--ca-out', caFile, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] }));
  // The CA is only needed while this server runs: its folder goes with it.
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const m = await waitForLine(child, /ready (https:\/\/\S+)/, 20_000, 'cosmos server');
  return { ...proc(child), endpoint: m[1], caFile };
}

export interface ServiceProc extends Proc {
  url: string;
}

export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProc> {
  const child = ownChild(spawn(process.execPath, [join(root, 'dist', 'src', 'index.js')], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_SERVICE_LOG_LEVEL ?? 'info', BLOB_CONNECTION_STRING: await sharedBlobConnectionString(), FILE_LINK_SECRET: TEST_FILE_LINK_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const m = await waitForLine(child, /"port":(\d+)[^\n]*"msg":"listening"/, 30_000, 'service');
  // Keep draining its output so the pipe never fills; TEST_SERVICE_LOG_DIR keeps each instance's log for debugging.
  const logDir = process.env.TEST_SERVICE_LOG_DIR;
  if (logDir) {
    const file = createWriteStream(join(logDir, `${env.INSTANCE_ID ?? 'service'}-${child.pid}.log`));
    child.stdout?.pipe(file);
  } else child.stdout?.resume();
  child.stderr?.resume();
  return { ...proc(child), url: `http://127.0.0.1:${m[1]}` };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Sweeps the service process has completed, from its health check. */
export async function sweepsOf(p: ServiceProc): Promise<number> {
  const res = await fetch(`${p.url}/healthz`);
  return ((await res.json()) as { sweeps: number }).sweeps;
}

/**
 * Resolves once every process has completed `n` more sweeps: the way to let recovery run "a while longer" before
 * asserting that nothing was delivered twice, without guessing a sleep.
 */
export async function afterSweeps(procs: ServiceProc[], n: number, timeoutMs = 30_000): Promise<void> {
  const start = await Promise.all(procs.map(sweepsOf));
  const t0 = Date.now();
  for (;;) {
    const counts = await Promise.all(procs.map(sweepsOf));
    if (counts.every((c, i) => c >= start[i] + n)) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`sweeps did not run: ${JSON.stringify({ start, counts })}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
