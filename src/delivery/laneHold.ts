/** A lane document as its holder last wrote or read it: conditional writes, and the lane's lease kept. */
import { ConcurrencyError, ConflictError } from '../core/errors';
import type { Versioned } from '../core/ports';
import { emptyLane } from './laneDocs';
import type { LaneDoc, LaneStore } from './ports';

/** Conditional writes to one lane document before giving up (each retry follows a change by another process). */
export const LANE_WRITE_ATTEMPTS = 50;

export class LaneHold {
  /** How many times `doc` came from a read (the first one included): each is a version another process may have written. */
  reads = 1;

  constructor(
    private readonly lanes: LaneStore,
    readonly key: string,
    private readonly me: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
    public doc: Versioned<LaneDoc>,
  ) {}

  /** A write conditional on the version held; false (with the newest version held instead) when it changed meanwhile. */
  async write(next: LaneDoc): Promise<boolean> {
    try {
      this.doc = await this.lanes.put(this.key, next, this.doc.etag || undefined);
      return true;
    } catch (err) {
      if (!(err instanceof ConcurrencyError) && !(err instanceof ConflictError)) throw err;
      // An empty version stands for a document that is gone (expired): the next write creates it.
      this.doc = (await this.lanes.get(this.key)) ?? { value: emptyLane(), etag: '' };
      this.reads++;
      return false;
    }
  }

  /** The lane's lease, renewed when it runs low; false when another process holds the lane now. */
  async keep(): Promise<boolean> {
    for (let attempt = 0; attempt < LANE_WRITE_ATTEMPTS; attempt++) {
      const doc = this.doc.value;
      if (doc.holder !== this.me) return false;
      if (doc.until - this.now() > this.leaseMs / 2) return true;
      if (await this.write({ ...doc, until: this.now() + this.leaseMs })) return true;
    }
    return false;
  }
}
