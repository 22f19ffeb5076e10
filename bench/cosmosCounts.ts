/** The Cosmos-compatible server's request counts by kind (started with --count; its certificate pinned, as the service does). */
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import type { CosmosProc } from '../tests/helpers/processes';

export function counts(cosmos?: CosmosProc): Promise<Record<string, number> | undefined> {
  if (!cosmos) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    httpsGet(`${cosmos.endpoint}_bench/counts`, { ca: readFileSync(cosmos.caFile) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as Record<string, number>));
    }).on('error', reject);
  });
}

/** after − before, per kind, without the kinds that did not change. */
export function delta(before: Record<string, number> = {}, after: Record<string, number> = {}): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
}
