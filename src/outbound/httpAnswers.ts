/** What the outbound edges share about an HTTP answer from a host they call (a desk, a file's host). */

/** The host is busy or failing now (408, 429, 5xx): a retry may succeed; it is no verdict on the request. */
export function busyOrFailing(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The answer's body, read up to `maxBytes`; undefined (the rest cancelled) when it is longer, however it is sent. */
export async function readAtMost(res: Response, maxBytes: number): Promise<Buffer | undefined> {
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(Buffer.from(next.value));
  }
  return Buffer.concat(chunks);
}
