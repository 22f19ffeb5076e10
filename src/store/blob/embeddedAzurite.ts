/**
 * The official Storage emulator (npm `azurite`, a dev dependency) as a child process on a free loopback port, in
 * memory: the local stand-in for Blob Storage, as the embedded Cosmos server is for Cosmos DB. Started only when no
 * Blob Storage is configured (never in production: the configuration refuses that).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Azurite's documented development account; it only ever exists inside the emulator on this machine. */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface EmbeddedAzurite {
  connectionString: string;
  /** The emulator's process (its wrapper). */
  pid: number;
  close(): Promise<void>;
}

export function azuriteConnectionString(blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${blobEndpoint.replace(/\/+$/, '')}/${DEV_ACCOUNT};`;
}

export async function startEmbeddedAzurite(timeoutMs = 30_000): Promise<EmbeddedAzurite> {
  try {
    require.resolve('azurite/dist/src/blob/main.js');
  } catch {
    throw new Error('BLOB_ENDPOINT / BLOB_CONNECTION_STRING are not set and the embedded Azurite is not installed (run `npm install`, which installs dev dependencies)');
  }
  const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--silent'];
  // Through azuriteProcess.js: it exits when this process's end of its stdin closes, however this process ends.
  const child = spawn(process.execPath, [join(__dirname, 'azuriteProcess.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stop = () => child.kill('SIGKILL');
  process.once('exit', stop); // never outlive the service (mocha's --exit, a crash)
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`Azurite did not start within ${timeoutMs} ms: ${output.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /successfully listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', stop);
      reject(new Error(`Azurite exited with code ${code}: ${output.slice(-500)}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    connectionString: azuriteConnectionString(endpoint),
    pid: child.pid ?? 0,
    async close() {
      process.removeListener('exit', stop);
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        // Closing its stdin ends the wrapper (azuriteProcess.ts); a kill follows if it has not gone in 5 s.
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.stdin.end();
      });
    },
  };
}
