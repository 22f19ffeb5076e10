/**
 * Whether a benchmark's load could have reached Teams' per-conversation limits, which the service keeps (its rate
 * limiter holds a line until the conversation's windows allow it) and the floor does not. A held line is waiting, not
 * work: if the windows were reached, a lower memory/floor ratio says nothing about our code. The load generator
 * takes the chats in turn, so a run's lines are spread evenly over its chats. A pair is judged at the floor's rate
 * (limitsAtFloorRate): a held service stops just under a limit, so its own count never shows one passed.
 */
import { TEAMS_CONVERSATION_WINDOWS } from '../src/outbound/teamsRateLimiter';

/** One run against the service: when its lines were sent (ms) and how many. */
export interface RunSpan {
  startMs: number;
  endMs: number;
  lines: number;
}

export interface WindowReached {
  limit: number;
  ms: number;
  /** The most lines one chat had in any window of this length (spread evenly in time within a run). */
  perChat: number;
}

/** Teams' windows that the runs came within reach of, with `chats` chats (empty: the limits never applied). */
export function windowsReached(runs: RunSpan[], chats: number, windows = TEAMS_CONVERSATION_WINDOWS): WindowReached[] {
  const reached: WindowReached[] = [];
  for (const { limit, ms } of windows) {
    // Lines in the window are piecewise linear in where it ends, so the fullest window is at a bend: where a run
    // starts or ends entering it, or starts or ends leaving it.
    let most = 0;
    for (const end of runs.flatMap((r) => [r.startMs, r.endMs, r.startMs + ms, r.endMs + ms])) {
      let lines = 0;
      for (const r of runs) {
        const overlap = Math.min(r.endMs, end) - Math.max(r.startMs, end - ms);
        if (overlap > 0) lines += (r.lines * overlap) / Math.max(1, r.endMs - r.startMs);
      }
      most = Math.max(most, lines / Math.max(1, chats));
    }
    if (most > limit) reached.push({ limit, ms, perChat: most });
  }
  return reached;
}

/**
 * Teams' windows that the service would reach if it kept pace with the floor in each pair. The floor keeps no Teams
 * limits; the service's rate limiter holds a line that would exceed one, so the service's own line count never shows a
 * limit passed (it stops just under). What decides whether a pair measures our code is the rate the service is
 * compared with: the floor's, in the service's own rounds (spans of both, one per run, in the same order). The hollow
 * variant keeps no limits either, so it stands for the floor when the service is paired against it.
 */
export function limitsAtFloorRate(floor: RunSpan[], service: RunSpan[], chats: number): WindowReached[] {
  const atFloorRate = service.map((s, i) => {
    const f = floor[i];
    const floorRate = f ? f.lines / Math.max(1, f.endMs - f.startMs) : 0;
    return { ...s, lines: Math.max(s.lines, floorRate * (s.endMs - s.startMs)) };
  });
  return windowsReached(atFloorRate, chats);
}
