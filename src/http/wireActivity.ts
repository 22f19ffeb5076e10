/**
 * The SDK serialises expectReplies bodies as raw Activity objects (`_channelId`, `relatesTo.agent`); Copilot
 * Studio's test canvas expects Bot Framework wire names. Mirrors the SDK's own outgoing normalisation.
 */
export function toWire(activity: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(activity)) as Record<string, unknown>;
  if (copy._channelId !== undefined) {
    copy.channelId = String(copy._channelId);
    delete copy._channelId;
  }
  const relatesTo = copy.relatesTo as Record<string, unknown> | undefined;
  if (relatesTo?.agent !== undefined) {
    relatesTo.bot = relatesTo.agent;
    delete relatesTo.agent;
  }
  return copy;
}

/** Rewrites `{ activities: [...] }` response bodies to wire form; other bodies pass unchanged. */
export function wireBody(body: unknown): unknown {
  if (body && typeof body === 'object' && Array.isArray((body as { activities?: unknown[] }).activities)) {
    return { ...(body as object), activities: (body as { activities: unknown[] }).activities.map(toWire) };
  }
  return body;
}
