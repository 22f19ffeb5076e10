/**
 * Which other processes serve the store now, from heartbeats: while there are (or were, within a lease period), lanes
 * are delivered under lane documents. One heartbeat runs at a time, so a late answer of an older one never overwrites
 * what a newer one saw of the peers.
 *
 * Each heartbeat record also says which peers its process has seen. A joining process holds its acknowledgements
 * until every live peer lists it (`seenByPeers`): before that, a lone peer sends its new lines at once, and a chat's
 * next line accepted there would overtake one acknowledged here and held in its lane for the joining grace.
 */
import { describe } from './deliveryError';
import type { InstanceRegistry, LaneMemory } from './ports';

export interface PeersOptions {
  instanceId: string;
  leaseMs: number;
  sweepIntervalMs: number;
}

export interface PeersDeps {
  instances: InstanceRegistry;
  memory: LaneMemory;
  options: PeersOptions;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Called when this process, alone until now, learns of another (awaited as part of the heartbeat). */
  sharingStarts: () => Promise<void>;
  warn: (obj: object, msg: string) => void;
}

/** A joining process looks whether its peers have seen it this often (a query each time, only while it joins). */
export const SEEN_POLL_MS = 250;
/** The longest a joining process holds an acknowledgement (callers time out: Teams after 15 s). */
export const SEEN_HOLD_MS = 10_000;

export class Peers {
  private beating?: Promise<void>;
  /** Until then, other processes are (or were recently) alive: lanes are delivered under their lease. */
  private until = 0;
  /** A joining process delivers nothing shared until the others have seen its heartbeat and use lanes too. */
  graceUntil = 0;
  /** The peers the last heartbeat record written says this process has seen. */
  private said: string[] = [];
  /** Set while a joining process waits for its peers to list it; settled for good once they do (or the grace ends). */
  private seen?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: PeersDeps) {}

  /** True while other processes serve (or served within a lease period) the same store. */
  shared(): boolean {
    return this.deps.now() < this.until;
  }

  /** The first heartbeat: a process that finds others already there waits out its joining grace. */
  async join(): Promise<void> {
    await this.beat();
    if (this.shared()) {
      this.graceUntil = this.deps.now() + 2 * this.deps.options.sweepIntervalMs;
      this.seen = this.waitToBeSeen();
    }
  }

  /**
   * Settles once every live peer's heartbeat lists this process, so it delivers its lines in lanes too; at once for a
   * process that did not join others. The joining grace (and SEEN_HOLD_MS) bounds the wait: a peer that has not said
   * so by then is late with its heartbeats, and is warned of.
   */
  seenByPeers(): Promise<void> | undefined {
    return this.seen;
  }

  beat(): Promise<void> {
    this.beating ??= this.heartbeat().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /** Settles when no heartbeat is under way (stopping); a wait to be seen ends at once. */
  async settled(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.beating?.catch(() => undefined), this.seen]);
  }

  /**
   * Says this process is gone, so a process starting right after it (a restart) does not wait to be seen by it. The
   * record still runs its time: peers stay as careful as before (its lines may be leased) and keep sharing the
   * tenant's budget with it while its recent calls still count in Teams' windows.
   */
  async leave(): Promise<void> {
    const { instances, options, now } = this.deps;
    await instances.heartbeat(options.instanceId, ttlOf(options), now(), { gone: true });
  }

  private async heartbeat(): Promise<void> {
    const { instances, memory, options, now } = this.deps;
    const wasShared = this.shared();
    const at = now();
    const ttl = ttlOf(options);
    await instances.heartbeat(options.instanceId, ttl, at, { sees: this.said });
    const others = (await instances.instances()).filter((i) => i.instance !== options.instanceId);
    const lastSeen = Math.max(0, ...others.map((i) => i.until));
    // One that stopped still shares the tenant's budget until its record runs out (its recent calls still count).
    memory.instances(1 + others.filter((i) => i.until > at).length);
    const live = others.filter((i) => i.until > at && !i.gone).map((i) => i.instance);
    // A peer that died may still hold leased items: stay careful for a lease period after its last heartbeat.
    this.until = lastSeen > 0 ? lastSeen + options.leaseMs : 0;
    if (!wasShared && this.shared()) await this.deps.sharingStarts();
    // A peer not listed yet is waiting for this record (its acknowledgements held): say so now, not a beat later. Only
    // after sharing started, so the lines this process still sends alone are in their lanes before it says so.
    const newcomer = live.some((p) => !this.said.includes(p));
    this.said = live;
    if (newcomer) await instances.heartbeat(options.instanceId, ttl, now(), { sees: live });
  }

  private async waitToBeSeen(): Promise<void> {
    const { instances, options, now, sleep, warn } = this.deps;
    const me = options.instanceId;
    const holdUntil = Math.min(this.graceUntil, now() + SEEN_HOLD_MS);
    // Records already old when the wait begins (by more than one and a half intervals), or from a release that writes
    // no time: their process is not beating (it crashed, and this is its restart) or cannot say it saw this one. Not
    // waited for while they stay as they are. A peer that was beating is waited for however late its next beat is.
    let stale: Map<string, number | undefined> | undefined;
    let late: string[] | undefined;
    let failed = false;
    while (!this.stopped && now() < holdUntil) {
      try {
        const at = now();
        const peers = (await instances.instances()).filter((i) => i.instance !== me && i.until > at && !i.gone);
        stale ??= new Map(peers.filter((i) => i.at === undefined || i.at < at - 1.5 * options.sweepIntervalMs).map((i) => [i.instance, i.at]));
        for (const i of peers) if (stale.has(i.instance) && stale.get(i.instance) !== i.at) stale.delete(i.instance); // it beats again
        late = peers.filter((i) => !stale!.has(i.instance) && !(i.sees ?? []).includes(me)).map((i) => i.instance);
        if (late.length === 0) return;
      } catch (err) {
        if (!failed) warn({ err: describe(err) }, 'could not read whether the other processes have seen this one');
        failed = true;
      }
      await sleep(Math.max(1, Math.min(SEEN_POLL_MS, holdUntil - now())));
    }
    if (!this.stopped) warn({ peers: late ?? 'unknown' }, 'acknowledging lines before these processes have seen this one: a chat\'s lines that alternate between them may arrive out of order');
  }
}

/** How long a heartbeat says its process is alive: three intervals (at least 3 s), so one late beat is no death. */
function ttlOf(options: PeersOptions): number {
  return Math.max(3 * options.sweepIntervalMs, 3000);
}
