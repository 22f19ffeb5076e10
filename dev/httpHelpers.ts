/** The small HTTP pieces the dev programs (customer simulator, demo desk) share: loopback listen, JSON in and out. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the program refuses with 400 and this message. */
export class BadRequest extends Error {}

export async function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((ok) => server.listen(port, host, () => ok()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function stopServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
}

// Not chained: restify, loaded in the same process by the local loop, patches writeHead to return nothing.
export function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

/** The request's JSON body ({} when empty); BadRequest when it is larger than `maxBytes` or not JSON. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<any> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BadRequest(`request body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('request body is not JSON');
  }
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
