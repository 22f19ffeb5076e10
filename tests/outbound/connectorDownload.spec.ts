/** Connector.download: the bot token goes only to the exact hosts named, never to an allow-listed suffix match. */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import { DEFAULT_SERVICE_URL_HOSTS } from '../../src/config';
import { FileRefusedError } from '../../src/core/errors';
import { DeliveryError } from '../../src/delivery/deliveryError';
import { Connector } from '../../src/outbound/connector';
import { closeServer, listenOnLoopback } from '../helpers/loopback';

describe('Connector.download', () => {
  it('refuses a host that only matches the allow-list by suffix, before any token is fetched', async () => {
    let tokens = 0;
    const connector = new Connector({ allowedHosts: DEFAULT_SERVICE_URL_HOSTS, allowLoopback: false }, { token: async () => (tokens++, 'secret-token') });
    await assert.rejects(connector.download('https://attacker.powerapps.com/x.png', 1024, ['smba.trafficmanager.net']), /attachments from attacker\.powerapps\.com are not fetched/);
    await assert.rejects(connector.download('https://files.example.net/x.png', 1024, ['files.example.net']), /not on the allow-list/);
    assert.equal(tokens, 0);
  });

  it('reads at most maxBytes of a stream without a Content-Length, and sends the token to the named host', async () => {
    let auth: string | undefined;
    const server = createServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'image/png', 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1024, i));
      res.end();
    });
    const url = await listenOnLoopback(server);
    try {
      const connector = new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => 'tok' });
      const host = new URL(url).host;
      await assert.rejects(connector.download(`${url}/a.png`, 4096, [host]), /larger than 4096 bytes/);
      assert.equal(auth, 'Bearer tok');
      assert.equal((await connector.download(`${url}/a.png`, 20_000, [host])).length, 10 * 1024);
    } finally {
      await closeServer(server);
    }
  });
  it('a host that is busy or failing now (503, 429) is retryable, not a refusal of the file; a 404 is a refusal', async () => {
    let status = 503;
    const server = createServer((_req, res) => {
      res.writeHead(status);
      res.end();
    });
    const url = await listenOnLoopback(server);
    try {
      const connector = new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => 'tok' });
      const host = new URL(url).host;
      for (const s of [503, 429]) {
        status = s;
        await assert.rejects(connector.download(`${url}/a.png`, 4096, [host]), (err: unknown) => err instanceof DeliveryError && err.retryable && err.status === s);
      }
      status = 404;
      await assert.rejects(connector.download(`${url}/a.png`, 4096, [host]), (err: unknown) => err instanceof FileRefusedError);
    } finally {
      await closeServer(server);
    }
  });

  it('a file address that can never be fetched (credentials in it, a redirect) is refused, not retried; a host that is down is retried', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere.png' });
      res.end();
    });
    const url = await listenOnLoopback(server);
    try {
      const connector = new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => 'tok' });
      const u = new URL(url);
      await assert.rejects(connector.download(`${url}/a.png`, 4096, [u.host]), (err: unknown) => err instanceof FileRefusedError && /redirect/.test(err.message));
      const allowed = new Connector({ allowedHosts: ['files.example.net'], allowLoopback: false }, { token: async () => 'tok' });
      await assert.rejects(allowed.download('https://user:pass@files.example.net/a.png', 4096, ['files.example.net']), (err: unknown) => err instanceof FileRefusedError && /credentials/.test(err.message));
    } finally {
      await closeServer(server);
    }
    const down = new URL(url); // the same address, nobody listening now
    await assert.rejects(
      new Connector({ allowedHosts: [], allowLoopback: true }, { token: async () => 'tok' }).download(`${url}/a.png`, 4096, [down.host]),
      (err: unknown) => err instanceof DeliveryError && err.retryable,
    );
  });
});
