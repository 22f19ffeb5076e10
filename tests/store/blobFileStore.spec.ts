/** Blob Storage that does not answer is an outage the viewer may retry (503), never a bug of ours (500). */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { Response } from 'restify';
import { AnonymousCredential, ContainerClient } from '@azure/storage-blob';
import { StoreUnavailableError } from '../../src/core/errors';
import { sendError } from '../../src/http/errorResponse';
import { BlobFileStore } from '../../src/store/blob/blobFileStore';

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

describe('the Blob file store when storage does not answer', () => {
  it('a read fails as store_unavailable, which the edge answers 503 with Retry-After and a reason', async () => {
    const container = new ContainerClient(`http://127.0.0.1:${await deadPort()}/devstoreaccount1/files`, new AnonymousCredential(), { retryOptions: { maxTries: 1 } });
    const err = await new BlobFileStore(container).get('f1').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof StoreUnavailableError, String(err));
    const sent: { status?: number; body?: { error: string; reason: string }; headers: Record<string, string> } = { headers: {} };
    const res = { headersSent: false, header: (k: string, v: string) => void (sent.headers[k] = v), send: (status: number, body: never) => Object.assign(sent, { status, body }) } as unknown as Response;
    const log = { debug() {}, info() {}, warn() {}, error() {}, child: () => log };
    sendError(res, err, log);
    assert.deepEqual([sent.status, sent.body?.error, sent.body?.reason, sent.headers['Retry-After']], [503, 'store_unavailable', 'the file could not be read now; retry later', '5']);
  });
});
