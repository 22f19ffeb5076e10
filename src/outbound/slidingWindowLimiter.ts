/**
 * Exact sliding-window rate limiting per key, for several windows at once (Teams counts 7 / 1 s, 8 / 2 s, 60 / 30 s
 * and 1800 / hour per conversation). Waiters are served first-in first-out; an idle key costs no timer.
 * Why not a library: token-bucket libraries cannot express several sliding windows exactly, and the one we
 * measured (Bottleneck, three nested buckets) added 15 ms median and 200 ms p99 to every call.
 */

export interface Window {
  limit: number;
  ms: number;
}

interface KeyState {
  /** Grant times within the longest window, oldest first. */
  times: number[];
  waiters: Array<(at: number) => void>;
  timer?: NodeJS.Timeout;
}

export class SlidingWindowLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly longest: number;
  private readonly pruner: NodeJS.Timeout;

  constructor(private windows: Window[]) {
    this.longest = Math.max(...windows.map((w) => w.ms));
    this.pruner = setInterval(() => this.prune(), Math.min(60_000, this.longest)).unref();
  }

  /** Forgets keys whose every grant is older than the longest window (a chat that went quiet). */
  prune(now = Date.now()): void {
    for (const [key, state] of this.keys) {
      const last = state.times[state.times.length - 1] ?? -Infinity;
      if (state.waiters.length === 0 && last <= now - this.longest) this.keys.delete(key);
    }
  }

  /** Resolves when a call for `key` may go out now; the slot is taken at that moment (the grant's time). */
  acquire(key: string): Promise<number> {
    const state = this.keys.get(key) ?? this.create(key);
    return new Promise<number>((resolve) => {
      state.waiters.push(resolve);
      if (state.waiters.length === 1 && !state.timer) this.drain(key, state);
    });
  }

  /**
   * Takes a slot now when one is free and nobody waits for `key` (so never ahead of a waiter); false otherwise, and
   * the caller waits with `acquire`. Most calls find a slot: they pay no promise and no waiter.
   */
  tryAcquire(key: string): boolean {
    return this.tryTake(key) !== undefined;
  }

  /** tryAcquire, answering with the grant's time (for giveBack), or undefined when there is no free slot. */
  tryTake(key: string): number | undefined {
    let state = this.keys.get(key);
    if (state && (state.waiters.length > 0 || state.timer)) return undefined;
    state ??= this.create(key);
    const now = Date.now();
    this.forgetOld(state, now);
    if (this.wait(state.times, now) > 0) return undefined;
    state.times.push(now);
    return now;
  }

  /** Gives back a grant whose call did not go out (the grant at `at`): the next waiter may have the slot now. */
  giveBack(key: string, at: number): void {
    const state = this.keys.get(key);
    const i = state ? state.times.lastIndexOf(at) : -1;
    if (!state || i < 0) return;
    state.times.splice(i, 1);
    if (state.waiters.length === 0) return;
    if (state.timer) clearTimeout(state.timer);
    this.drain(key, state);
  }

  /**
   * Resolves once `key` would have room for one more grant; none is taken, and no place in line is kept (a timer, at
   * least a millisecond away, so a caller that loops on it never spins).
   */
  whenRoom(key: string): Promise<void> {
    const state = this.keys.get(key);
    const now = Date.now();
    if (state) this.forgetOld(state, now);
    const delay = state ? this.wait(state.times, now) : 0;
    return new Promise((resolve) => void setTimeout(resolve, Math.max(1, delay)).unref?.());
  }

  /** Drops grants older than the longest window: they count in none. */
  private forgetOld(state: KeyState, now: number): void {
    while (state.times.length > 0 && state.times[0] <= now - this.longest) state.times.shift();
  }

  /** Milliseconds until `times` allows one more grant at `now` (0 when it does). */
  private wait(times: number[], now: number): number {
    let wait = 0;
    for (const { limit, ms } of this.windows) {
      if (times.length < limit) continue;
      const nth = times[times.length - limit]; // the oldest grant that still counts if we grant now
      // One millisecond of margin: clocks on either side of the wire tick at millisecond resolution.
      wait = Math.max(wait, nth + ms + 1 - now);
    }
    return Math.max(0, wait);
  }

  private drain(key: string, state: KeyState): void {
    state.timer = undefined;
    for (;;) {
      const now = Date.now();
      this.forgetOld(state, now);
      if (state.waiters.length === 0) {
        if (state.times.length === 0) this.keys.delete(key);
        return;
      }
      const delay = this.wait(state.times, now);
      if (delay > 0) {
        state.timer = setTimeout(() => this.drain(key, state), delay);
        return;
      }
      state.times.push(now);
      state.waiters.shift()!(now);
    }
  }

  /** Changes the limits (same window lengths); waiters are served under the new ones from now on. */
  setLimits(limits: number[]): void {
    this.windows = this.windows.map((w, i) => ({ ms: w.ms, limit: Math.max(1, limits[i] ?? w.limit) }));
    for (const [key, state] of this.keys) {
      if (state.timer) clearTimeout(state.timer);
      this.drain(key, state);
    }
  }

  /** Grant times for `key` within the last `withinMs`, oldest first (to hand a conversation over to another instance). */
  recent(key: string, withinMs: number, now = Date.now()): number[] {
    return (this.keys.get(key)?.times ?? []).filter((t) => t > now - withinMs);
  }

  /**
   * Adds grants made elsewhere (another instance's calls in the same conversation); known ones are not counted twice.
   * Times are compared as a multiset: two calls in one millisecond stay two, and a list that holds what is known here
   * (this instance's own calls, handed back with a lane) adds only what is not.
   */
  adopt(key: string, times: number[], now = Date.now()): void {
    const fresh = times.filter((t) => Number.isFinite(t) && t > now - this.longest && t <= now + 1000);
    if (fresh.length === 0) return;
    const state = this.keys.get(key) ?? this.create(key);
    const known = new Map<number, number>();
    for (const t of state.times) known.set(t, (known.get(t) ?? 0) + 1);
    const added = fresh.filter((t) => {
      const n = known.get(t) ?? 0;
      if (n > 0) known.set(t, n - 1);
      return n === 0;
    });
    if (added.length > 0) state.times = [...state.times, ...added].sort((a, b) => a - b);
  }

  /** Counts a grant that happened without `acquire` (the key did not exist before the call). */
  record(key: string, at = Date.now()): void {
    const state = this.keys.get(key) ?? this.create(key);
    state.times.push(at);
    state.times.sort((a, b) => a - b);
  }

  private create(key: string): KeyState {
    const state: KeyState = { times: [], waiters: [] };
    this.keys.set(key, state);
    return state;
  }

  /** Keys with history or waiters (memory check in the benchmark). */
  get size(): number {
    return this.keys.size;
  }

  stop(): void {
    clearInterval(this.pruner);
    for (const state of this.keys.values()) if (state.timer) clearTimeout(state.timer);
    this.keys.clear();
  }
}
