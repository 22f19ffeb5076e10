/**
 * Runs @zeit/cosmosdb-server in-process on loopback with a certificate made at start-up (its bundled one has
 * expired), so the client can pin exactly that certificate instead of turning TLS checks off.
 */
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

export async function startEmbeddedCosmos(port = 0): Promise<EmbeddedCosmos> {
  const { cert, key } = await makeLoopbackCertificate();
  const server = createHttpsServer({ cert, key } as never);
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
