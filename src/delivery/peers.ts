/**
 * Which other processes serve the store now, from heartbeats: while there are (or were, within a lease period), lanes
 * are delivered under lane documents. One heartbeat runs at a time, so a late answer of an older one never overwrites
 * what a newer one saw of the peers.
 */
import type { LaneMemory, InstanceRegistry } from './ports';

export interface PeersOptions {
  instanceId: string;
  leaseMs: number;
  sweepIntervalMs: number;
}

export class Peers {
  private beating?: Promise<void>;
  /** Until then, other processes are (or were recently) alive: lanes are delivered under their lease. */
  private until = 0;
  /** A joining process delivers nothing shared until the others have seen its heartbeat and use lanes too. */
  graceUntil = 0;

  constructor(
    private readonly instances: InstanceRegistry,
    private readonly memory: LaneMemory,
    private readonly options: PeersOptions,
    private readonly now: () => number,
    /** Called when this process, alone until now, learns of another (awaited as part of the heartbeat). */
    private readonly sharingStarts: () => Promise<void>,
  ) {}

  /** True while other processes serve (or served within a lease period) the same store. */
  shared(): boolean {
    return this.now() < this.until;
  }

  /** The first heartbeat: a process that finds others already there waits out its joining grace. */
  async join(): Promise<void> {
    await this.beat();
    if (this.shared()) this.graceUntil = this.now() + 2 * this.options.sweepIntervalMs;
  }

  beat(): Promise<void> {
    this.beating ??= this.heartbeat().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /** Settles when no heartbeat is under way (stopping). */
  async settled(): Promise<void> {
    await this.beating?.catch(() => undefined);
  }

  private async heartbeat(): Promise<void> {
    const wasShared = this.shared();
    const now = this.now();
    await this.instances.heartbeat(this.options.instanceId, Math.max(3 * this.options.sweepIntervalMs, 3000), now);
    const others = (await this.instances.instances()).filter((i) => i.instance !== this.options.instanceId);
    const lastSeen = Math.max(0, ...others.map((i) => i.until));
    this.memory.instances(1 + others.filter((i) => i.until > now).length);
    // A peer that died may still hold leased items: stay careful for a lease period after its last heartbeat.
    this.until = lastSeen > 0 ? lastSeen + this.options.leaseMs : 0;
    if (!wasShared && this.shared()) await this.sharingStarts();
  }
}
