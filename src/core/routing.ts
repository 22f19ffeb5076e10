/**
 * Which queue a new escalation waits in. The `Queue` input of startConversation names it; without a usable name, the
 * first queue whose `when` rule matches the Copilot Studio context (exact match of every key given) takes it; else
 * the default queue. An unknown name is not an error the customer should feel: the chat goes to the default queue
 * and its card says what was asked for.
 */
import { DEFAULT_QUEUE } from './escalation';

export interface QueueRule {
  name: string;
  /** Context key → value, all of which must match exactly. */
  when?: Record<string, string>;
}

export interface Routed {
  queue: string;
  /** Shown on the card when the routing needs explaining (an unknown queue was asked for). */
  note?: string;
}

export function routeQueue(requested: string | undefined, context: Record<string, string>, queues: QueueRule[]): Routed {
  const asked = requested?.trim().toLowerCase();
  if (asked) {
    if (asked === DEFAULT_QUEUE || queues.some((q) => q.name === asked)) return { queue: asked };
  }
  const matched = queues.find((q) => q.when && Object.keys(q.when).length > 0 && Object.entries(q.when).every(([k, v]) => context[k] === v));
  if (matched) return { queue: matched.name, ...(asked ? { note: unknownNote(requested!) } : {}) };
  return asked ? { queue: DEFAULT_QUEUE, note: unknownNote(requested!) } : { queue: DEFAULT_QUEUE };
}

const unknownNote = (asked: string) => `Asked for the queue "${asked.trim().slice(0, 60)}", which does not exist: routed here instead.`;
