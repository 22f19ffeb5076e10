/**
 * Runs @zeit/cosmosdb-server in-process on loopback with a certificate made at start-up (its bundled one has
 * expired), so the client can pin exactly that certificate instead of turning TLS checks off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@zeit/cosmosdb-server';
import { generate } from 'selfsigned';

export interface EmbeddedCosmos {
  endpoint: string;
  caPem: string;
  close(): Promise<void>;
}

export async function makeLoopbackCertificate(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    days: 30,
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
  } as never);
  return { cert: pems.cert, key: pems.private };
}

/** Sees each request first; returns true when it answered the request itself (benchmark counters). */
export type RequestInterceptor = (req: IncomingMessage, res: ServerResponse) => boolean;

export async function startEmbeddedCosmos(port = 0, intercept?: RequestInterceptor): Promise<EmbeddedCosmos> {
  const { cert, key } = await makeLoopbackCertificate();
  const server = createHttpsServer({ cert, key } as never);
  if (intercept) {
    const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!intercept(req, res)) handlers.forEach((h) => h(req, res));
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${bound}/`,
    caPem: cert,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
