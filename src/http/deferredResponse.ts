/**
 * Botbuilder's adapter answers any turn error with a 500 carrying the error's message. This response holds what
 * the adapter writes until the turn is over, so the edge can answer a failed turn itself (a store outage is a 503)
 * without leaking error text.
 */
import type { Response } from 'restify';

export interface DeferredResponse {
  header(name: string, value: string): void;
  status(code: number): void;
  send(body?: unknown): void;
  end(): void;
  /** Writes what the adapter produced, unless `failed` says the turn failed (then nothing is written). */
  flush(): void;
}

export function deferredResponse(res: Response): DeferredResponse {
  let status = 200;
  let body: unknown;
  const headers: Array<[string, string]> = [];
  return {
    header(name, value) {
      headers.push([name, value]);
    },
    status(code) {
      status = code;
    },
    send(b) {
      body = b;
    },
    end() {
      /* written by flush */
    },
    flush() {
      if (res.headersSent) return;
      for (const [n, v] of headers) res.header(n, v);
      if (body === undefined) {
        res.status(status);
        res.end();
      } else {
        res.send(status, body);
      }
    },
  };
}
