/**
 * A line that Cosmos stored but whose answer was lost (the connection reset after the write): the SDK's retry finds
 * it (409). It is still delivered at once and in its place, not held until the sweep while later lines overtake it.
 */
import { strict as assert } from 'node:assert';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { createHttpsServer } from '@zeit/cosmosdb-server';
import { Ledger } from '../../src/core/ledger';
import { makeLoopbackCertificate } from '../../src/store/cosmos/embeddedCosmos';
import { createCosmosStore } from '../../src/store/cosmos/cosmosStore';
import { recordingCustomer, recordingDesk, sampleEscalation, testRelay } from '../helpers/fixtures';
import { toCustomer } from '../helpers/relays';

describe('a line create whose answer the network lost', function () {
  this.timeout(30_000);

  it('is delivered at once and in order, not held for the sweep', async () => {
    const { cert, key } = await makeLoopbackCertificate();
    const server = createHttpsServer({ cert, key } as never) as unknown as Server;
    const [handler] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    server.removeAllListeners('request');
    let resets = 0;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'POST' && /\/colls\/transcripts\/docs$/.test(req.url ?? '') && resets === 0) {
        // The server applies the create; its answer never leaves: the connection is dropped instead.
        (res as unknown as { end: () => ServerResponse }).end = () => {
          resets++;
          req.socket.destroy();
          return res;
        };
      }
      handler(req, res);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    const client = new CosmosClient({ endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, key: 'k', agent: new Agent({ ca: cert, keepAlive: true }) });
    try {
      const store = await createCosmosStore(client, { database: 'lost', retentionSeconds: 3600 });
      const e = sampleEscalation({ status: 'claimed', deskRef: { desk: 'test-desk', threadId: 't', address: {} } });
      await store.escalations.create(e);
      const customer = recordingCustomer();
      // The sweep is off: only the line's own dispatch can deliver it.
      const relay = testRelay(store, { customer, desk: recordingDesk(), options: { retries: 3, sweepIntervalMs: 0 } });
      relay.attach(new Ledger(store.escalations, relay, () => new Date()));
      const first = await relay.record(toCustomer('1'), e);
      assert.equal(resets, 1, 'the fault was injected at the create');
      assert.equal(first.duplicate, false, 'stored by this call, not a retried request');
      void relay.dispatch(e, first);
      void relay.dispatch(e, await relay.record(toCustomer('2'), e));
      await relay.idle();
      assert.deepEqual(customer.sent, ['1', '2']);
      assert.deepEqual((await store.transcripts.list('e')).map((l) => l.delivery.state), ['delivered', 'delivered']);
    } finally {
      client.dispose();
      await new Promise((ok) => server.close(() => ok(undefined)));
    }
  });
});
