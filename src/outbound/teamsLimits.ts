/** Teams facts the outbound edges share (the core knows none of them). */

/** Teams rejects some messages above ~28 KB; leave room for the envelope. */
export const TEAMS_TEXT_BUDGET_BYTES = 24 * 1024;

/** Statuses Teams asks callers to retry (429 honouring Retry-After; 412, 502, 503, 504), and 500. */
export const TEAMS_RETRYABLE_STATUSES: readonly number[] = [412, 429, 500, 502, 503, 504];

/** The bot was removed, or the conversation is gone: no retry helps, and the other side must hear of it. */
export const TEAMS_UNREACHABLE_STATUSES: readonly number[] = [403, 404];
