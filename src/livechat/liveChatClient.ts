/**
 * Calls to a live-chat desk's REST contract (`POST {LIVECHAT_BASE_URL}/api/chat/…`): only to that base URL's origin,
 * with its API key (`X-API-Key`) or bearer token, never following a redirect. Failures become DeliveryErrors with
 * the meaning the delivery room retries on: 408, 429 (honouring Retry-After) and 5xx, or no answer at all.
 */
import { DeliveryError } from '../delivery/deliveryError';
import type { Fence } from '../delivery/ports';
import { parseRetryAfter } from '../outbound/connector';
import { busyOrFailing, readAtMost } from '../outbound/httpAnswers';

export interface LiveChatAuth {
  apiKey?: string;
  bearerToken?: string;
}


export class LiveChatClient {
  private readonly base: URL;

  constructor(baseUrl: string, private readonly auth: LiveChatAuth, private readonly timeoutMs = 30_000) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  }

  /**
   * POSTs JSON to `path` under the base URL; the answer as JSON (undefined when it is none, or not JSON). `key` goes out as
   * `Idempotency-Key`: the same on every retry, so a desk that saw the first attempt can drop the repeat.
   */
  async post(path: string, body: unknown, fence: Fence, key?: string): Promise<unknown> {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    if (url.origin !== this.base.origin) throw new DeliveryError(`refused: ${url.origin} is not the live-chat desk's origin`, { retryable: false });
    await fence();
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.auth.apiKey) headers['x-api-key'] = this.auth.apiKey;
    if (this.auth.bearerToken) headers.authorization = `Bearer ${this.auth.bearerToken}`;
    if (key) headers['idempotency-key'] = key;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      // The reason's code only: fetch's messages may quote the URL, and nothing of it belongs in logs or stored errors.
      throw new DeliveryError(`the live-chat desk did not answer (${reasonOf(err)})`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const retryAfter = res.headers.get('retry-after');
      throw new DeliveryError(`the live-chat desk answered ${res.status}`, { status: res.status, retryable: busyOrFailing(res.status), retryAfterMs: retryAfter ? parseRetryAfter(retryAfter) : undefined });
    }
    let text: string;
    try {
      const bytes = await readAtMost(res, MAX_ANSWER_BYTES);
      if (!bytes) throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
      text = new TextDecoder().decode(bytes); // as res.text() does: UTF-8, a leading BOM dropped
    } catch (err) {
      // The desk may have acted on it: retried with the same key, never taken as a final answer.
      throw new DeliveryError(`the live-chat desk's answer could not be read (${reasonOf(err)})`);
    }
    // Only JSON is an answer: a web page from a wrong LIVECHAT_BASE_URL must not become a conversation id.
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The contract's answers are a few hundred bytes; a desk or proxy answering more must not exhaust memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.cause?.code) return e.cause.code;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  if (e?.message?.startsWith('the answer is larger')) return e.message;
  return e?.name ?? 'unknown error';
}
