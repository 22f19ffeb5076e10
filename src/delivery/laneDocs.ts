/** A lane document's key, and pure changes to it (sharedLanes.ts writes them, each conditional on the version it read). */
import type { Outbound } from '../core/transcript';
import type { LaneDoc, LaneEntry } from './ports';

/** One lane per escalation and direction. */
export function laneKey(escalationId: string, direction: Outbound): string {
  return `lane-queue|${escalationId}|${direction}`;
}

export function parseLaneKey(key: string): { escalationId: string; direction: Outbound } | undefined {
  const m = /^lane-queue\|(.+)\|(toDesk|toCustomer)$/.exec(key);
  return m ? { escalationId: m[1], direction: m[2] as Outbound } : undefined;
}

/** How many dropped entries a lane remembers (an acceptor whose store write was slow looks there). */
const DROPPED_MEMORY = 20;

/** A lane no process holds, listing nothing (a document not written yet, or gone). */
export const emptyLane = (): LaneDoc => ({ until: 0, queue: [] });

/** The lane after appending entries for `ids` (an id already listed keeps its entry), and each id's entry. */
export function withEntries(doc: LaneDoc, ids: string[], now: number): { next: LaneDoc; entries: Map<string, LaneEntry>; added: number } {
  const entries = new Map(doc.queue.filter((q) => ids.includes(q.id)).map((q) => [q.id, q]));
  let last = doc.last ?? Math.max(0, ...doc.queue.map((q) => q.seq));
  const added: LaneEntry[] = [];
  for (const id of ids) {
    if (entries.has(id)) continue;
    const entry = { id, seq: ++last, at: now };
    added.push(entry);
    entries.set(id, entry);
  }
  return { next: { ...doc, queue: [...doc.queue, ...added], last }, entries, added: added.length };
}

/**
 * The lane with entries for items that carry their own state (accepted by a lone process, or left by a dead one),
 * each placed before the entries appended after (or at) its intake, so it is not overtaken by lines that came
 * later. Its entry's time is that intake time. An id already listed keeps its entry.
 */
export function withEntriesByIntake(doc: LaneDoc, items: ReadonlyArray<{ id: string; at: number }>): { next: LaneDoc; entries: Map<string, LaneEntry>; added: number } {
  const queue = [...doc.queue];
  const entries = new Map(queue.filter((q) => items.some((i) => i.id === q.id)).map((q) => [q.id, q]));
  let last = doc.last ?? Math.max(0, ...queue.map((q) => q.seq));
  let added = 0;
  for (const { id, at } of items) {
    if (entries.has(id)) continue;
    const entry = { id, seq: ++last, at };
    // A tie goes to the item with its own state: it was taken in before its process knew of the lane's other lines.
    const later = queue.findIndex((q) => q.at >= at);
    queue.splice(later < 0 ? queue.length : later, 0, entry);
    entries.set(id, entry);
    added++;
  }
  return { next: { ...doc, queue, last }, entries, added };
}

export const sameEntry = (a: { id: string; seq: number }, b: { id: string; seq: number }) => a.id === b.id && a.seq === b.seq;

/** Given back: no holder, no entries; the numbering, the dropped ones and the recent sends stay for the next holder. */
export function givenBack(doc: LaneDoc): LaneDoc {
  return { queue: [], until: 0, last: doc.last, dropped: doc.dropped, memo: doc.memo };
}

/** The lane without `entry` (delivered, or dropped as never stored). */
export function withoutEntry(doc: LaneDoc, entry: LaneEntry, drop: boolean): LaneDoc {
  const dropped = drop ? [...(doc.dropped ?? []), { id: entry.id, seq: entry.seq }].slice(-DROPPED_MEMORY) : doc.dropped;
  return { ...doc, queue: doc.queue.filter((q) => !sameEntry(q, entry)), dropped };
}

export function wasDropped(doc: LaneDoc, entry: { id: string; seq: number }): boolean {
  return doc.dropped?.some((d) => sameEntry(d, entry)) ?? false;
}
