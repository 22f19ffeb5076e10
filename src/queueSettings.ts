/**
 * AGENT_QUEUES: the named queues and the channels that serve them, as JSON, e.g.
 * `[{"name":"billing","teamId":"19:…@thread.tacv2","channelId":"19:…@thread.tacv2","when":{"va_Language":"de"}}]`.
 * The queue of AGENT_TEAM_ID / AGENT_CHANNEL_ID (or the channel chosen in Teams) is the default one, `default`.
 * A queue without `channelId` gets its channel in Teams: `use this channel for <name>` in a standard channel.
 */
import { z } from 'zod';
import { DEFAULT_QUEUE } from './core/escalation';

const queue = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'a queue name is 1–40 lowercase letters, digits, "-" or "_"')
      .refine((n) => n !== DEFAULT_QUEUE, `"${DEFAULT_QUEUE}" is the queue of AGENT_CHANNEL_ID; name the others differently`),
    teamId: z.string().min(1).optional(),
    channelId: z.string().min(1).optional(),
    tenantId: z.string().min(1).optional(),
    serviceUrl: z.string().url().optional(),
    when: z.record(z.string()).optional(),
    /** Which desk serves the queue: Teams channel threads (default) or the live-chat desk (LIVECHAT_BASE_URL). */
    desk: z.enum(['teams', 'livechat']).optional(),
  })
  .strict()
  .refine((q) => !q.channelId || q.teamId, { message: 'channelId needs the teamId of its team' });

export type AgentQueue = z.infer<typeof queue>;

export function parseAgentQueues(text: string, problems: string[]): AgentQueue[] {
  if (!text.trim()) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    problems.push(`AGENT_QUEUES: not JSON (${(err as Error).message})`);
    return [];
  }
  const parsed = z.array(queue).max(50).safeParse(json);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `AGENT_QUEUES${i.path.map((p) => `[${JSON.stringify(p)}]`).join('')}: ${i.message}`));
    return [];
  }
  const names = parsed.data.map((q) => q.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) problems.push(`AGENT_QUEUES: queue names must be unique (${[...new Set(twice)].join(', ')} given twice)`);
  return parsed.data;
}
