/** The embedded Azurite never outlives its service: a clean close ends it, and so does the service's SIGKILL. */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startEmbeddedAzurite } from '../../src/store/blob/embeddedAzurite';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('embedded Azurite', function () {
  this.timeout(60_000);

  it('close() ends the emulator process', async () => {
    const azurite = await startEmbeddedAzurite();
    assert.ok(alive(azurite.pid));
    await azurite.close();
    assert.equal(alive(azurite.pid), false);
  });

  it('a service killed with SIGKILL takes its emulator with it', async () => {
    const script = `require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'store', 'blob', 'embeddedAzurite.js'))}).startEmbeddedAzurite().then((a) => console.log('azurite ' + a.pid)); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /azurite (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      parent.once('exit', () => reject(new Error(`the parent exited first: ${out}`)));
    });
    assert.ok(alive(pid));
    parent.kill('SIGKILL');
    await until(() => !alive(pid), 10_000, 'the emulator to exit after its parent died');
  });
});
