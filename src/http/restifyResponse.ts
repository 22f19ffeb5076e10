/**
 * Restify's res.status() returns a number, not the response; the Agents SDK's middleware chains
 * res.status(...).send(...). This shim gives the SDK the chainable response it expects.
 */
import type { Response } from 'restify';

export interface ChainableResponse {
  status(code: number): ChainableResponse;
  setHeader(name: string, value: string): ChainableResponse;
  send(body?: unknown): ChainableResponse;
  end(): ChainableResponse;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
}

export function chainable(res: Response, mapBody: (body: unknown) => unknown = (b) => b): ChainableResponse {
  const shim: ChainableResponse = {
    status(code) {
      res.status(code);
      return shim;
    },
    setHeader(name, value) {
      res.setHeader(name, value);
      return shim;
    },
    send(body) {
      res.send(mapBody(body));
      return shim;
    },
    end() {
      if (!res.writableEnded) res.end();
      return shim;
    },
    get headersSent() {
      return res.headersSent;
    },
    get writableEnded() {
      return res.writableEnded;
    },
  };
  return shim;
}
