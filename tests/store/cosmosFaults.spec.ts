import { strict as assert } from 'node:assert';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@zeit/cosmosdb-server';
import { makeLoopbackCertificate } from '../../src/store/cosmos/embeddedCosmos';
import { ConnectorStub } from '../helpers/connectorStub';
import { newAgent, newCustomer, skill, teams } from '../helpers/activities';
import { startService, type TestService } from '../helpers/service';

type Mode = 'ok' | 'throttle' | 'down';

/** The Cosmos-compatible server behind a switch that answers 429 (with the retry-after Cosmos sends) or 503. */
async function faultyCosmos(): Promise<{ endpoint: string; caPem: string; setMode(m: Mode): void; injected: () => number; close(): Promise<void> }> {
  const { cert, key } = await makeLoopbackCertificate();
  const server = createHttpsServer({ cert, key } as never) as unknown as Server;
  const [handler] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  let mode: Mode = 'ok';
  let injected = 0;
  let n = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    n += 1;
    const throttled = mode === 'throttle' && n % 3 === 0;
    if (mode === 'down' || throttled) {
      injected += 1;
      req.resume();
      const status = throttled ? 429 : 503;
      res.writeHead(status, { 'content-type': 'application/json', 'x-ms-retry-after-ms': '20', 'x-ms-substatus': '0' });
      res.end(JSON.stringify({ code: throttled ? 'TooManyRequests' : 'ServiceUnavailable', message: 'injected' }));
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    caPem: cert,
    setMode: (m) => (mode = m),
    injected: () => injected,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

describe('Cosmos faults', function () {
  this.timeout(60_000);
  let stub: ConnectorStub;
  let cosmos: Awaited<ReturnType<typeof faultyCosmos>>;
  let svc: TestService;
  const expectReplies = { deliveryMode: 'expectReplies' };

  before(async () => {
    stub = await new ConnectorStub().start();
    cosmos = await faultyCosmos();
    svc = await startService(stub, { COSMOS_ENDPOINT: cosmos.endpoint, COSMOS_KEY: 'test-server-accepts-any-key' }, { cosmos: { caPem: cosmos.caPem } });
  });
  after(async () => {
    await svc.close();
    await cosmos.close();
    await stub.stop();
  });

  it('retries throttling (429) within bounds: every request still succeeds, every line is stored once', async () => {
    cosmos.setMode('throttle');
    const before = cosmos.injected();
    const c = newCustomer();
    const start = await svc.post('/api/messages', skill.start(c, { ProblemDescription: 'x' }, expectReplies));
    assert.equal(start.status, 200, start.text);
    for (let i = 0; i < 8; i++) assert.equal((await svc.post('/api/messages', skill.message(c, `line ${i}`, expectReplies))).status, 200);
    cosmos.setMode('ok');
    assert.ok(cosmos.injected() - before >= 5, 'throttling was injected');
    const id = start.body.activities[0].value.LiveChatConversationId;
    const lines = (await svc.handover.transcript(id)).filter((t) => t.kind === 'customer').map((t) => t.text);
    assert.deepEqual(lines, Array.from({ length: 8 }, (_, i) => `line ${i}`));
  });

  it('a store that keeps failing is a 503 with Retry-After, never a 200 for an unstored line, and the process lives on', async () => {
    const c = newCustomer();
    const start = await svc.post('/api/messages', skill.start(c, { ProblemDescription: 'x' }, expectReplies));
    const id = start.body.activities[0].value.LiveChatConversationId;
    const line = skill.message(c, 'stored only when the store is back', expectReplies);
    cosmos.setMode('down');
    const refused = await svc.post('/api/messages', line);
    assert.equal(refused.status, 503);
    assert.match(refused.body.reason, /could not be stored/);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 503);
    const agentLine = teams.reply(newAgent('Ann'), '19:x@thread.tacv2;messageid=1', 'hello', `${stub.url}/teams/`);
    const consoleRefused = await svc.post('/api/console/messages', agentLine);
    assert.equal(consoleRefused.status, 503);
    assert.doesNotMatch(consoleRefused.text, /Cosmos/, 'no internal error text');
    cosmos.setMode('ok');
    const retried = await svc.post('/api/messages', line);
    assert.equal(retried.status, 200);
    const lines = (await svc.handover.transcript(id)).filter((t) => t.text === 'stored only when the store is back');
    assert.equal(lines.length, 1);
  });
});
