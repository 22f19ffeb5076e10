/**
 * What a desk-bound item becomes at its desk: a line posted in the thread, a card placed (the thread created and its
 * place stored before any other call) or refreshed, a closed chat's transcript as lines of the desk's size.
 */
import { BoundedCache } from '../core/boundedCache';
import { placeOnDesk, type Escalation } from '../core/escalation';
import { ConflictError } from '../core/errors';
import type { Ledger } from '../core/ledger';
import { notices } from '../core/notices';
import { lookupKey, type Outbox } from '../core/ports';
import { isCard, newEntry, type OutboxItem } from '../core/transcript';
import { conversationText, transcriptMessages } from '../core/transcriptText';
import { DeliveryError } from './deliveryError';
import type { AgentDesk, Fence, FileLink, PartProgress, Placement } from './ports';
import { withStoreRetry } from './retryPolicy';
import type { SenderDeps } from './sender';

/** The size of a transcript part when the desk does not say its own. */
const DEFAULT_TEXT_BYTES = 16 * 1024;

export class DeskItems {
  /** Threads this process created whose place is not stored yet: a retry stores them instead of creating another. */
  private readonly placed = new BoundedCache<Placement>(1_000);
  private ledger?: Ledger;
  private outbox?: Outbox;

  constructor(private readonly deps: Pick<SenderDeps, 'escalations' | 'lookups' | 'transcripts' | 'desks' | 'now'>) {}

  attach(ledger: Ledger, outbox: Outbox): void {
    this.ledger = ledger;
    this.outbox = outbox;
  }

  async deliver(e: Escalation, item: OutboxItem, fence: Fence, progress: PartProgress, links: FileLink[] | undefined): Promise<void> {
    if (isCard(item) && item.post === 'transcript') return this.postTranscript(e, item.id);
    // Lines use the escalation as accepted (no extra read per message); cards and a missing thread need the latest.
    const latest = isCard(item) || !e.deskRef ? ((await this.deps.escalations.get(e.id))?.value ?? e) : e;
    // An item for a thread the escalation left (a transfer) goes there, whatever its current place.
    const on = item.target ? { ...latest, deskRef: item.target } : latest;
    if (isCard(item)) {
      if (item.target) await this.deskOf(on).refresh(on, { transferredTo: item.transferredTo }, fence);
      else if (latest.deskRef && !this.placed.get(e.id)) await this.deskOf(latest).refresh(latest, { lastLineAt: await this.deps.transcripts.lastLineAt(e.id) }, fence);
      else await this.place(latest, item.id, fence);
      return;
    }
    if (!on.deskRef) throw new DeliveryError('the escalation is not on the desk yet');
    const kind = item.kind === 'note' || item.kind === 'customer' || item.kind === 'transcript' ? item.kind : 'notice';
    await this.deskOf(on).post(on, { text: item.text, from: item.author?.name, kind, mentions: item.mentions, files: links, key: item.id, progress }, fence);
  }

  /**
   * The closed chat's transcript, stored as lines of the desk's size (each retried alone, none posted twice) that
   * follow this item in the thread's lane. Every line of the chat was stored before the close that caused this item.
   */
  private async postTranscript(e: Escalation, itemId: string): Promise<void> {
    const latest = (await this.deps.escalations.get(e.id))?.value ?? e;
    const maxBytes = this.deskOf(latest).maxTextBytes ?? DEFAULT_TEXT_BYTES;
    const parts = transcriptMessages(latest, await this.deps.transcripts.list(e.id), maxBytes);
    for (const [i, text] of parts.entries()) await this.addLine(latest, 'toDesk', text, `transcript|${itemId}|${i}`, 'transcript');
  }

  /**
   * Announces the escalation and stores its place the moment the desk returns it, before any other call: a failure
   * after that (a 429 on a follow-up, a store error) never creates a second thread.
   */
  private async place(e: Escalation, itemId: string, fence: Fence): Promise<void> {
    let placement = this.placed.get(e.id);
    if (!placement) {
      placement = await this.deskOf(e).announce(e, fence);
      this.placed.set(e.id, placement);
    }
    const ref = placement.ref;
    // A desk that hands out a conversation id twice (one that restarted its count) must not get a second chat there,
    // or its agents' answers would reach the first chat's customer. Asked before the place is stored, and the
    // look-up written after it as before: a crash in between leaves no look-up to a thread the retry replaces.
    const key = lookupKey.desk(ref.threadId);
    const holder = (await withStoreRetry(() => this.deps.lookups.get(key)))?.value;
    if (holder !== undefined && holder !== e.id) {
      this.placed.delete(e.id);
      throw new DeliveryError(`the desk placed this chat where another chat already is (${ref.threadId.slice(0, 120)})`, { retryable: false });
    }
    const { escalation } = await withStoreRetry(() => this.ledger!.apply(e.id, (x) => placeOnDesk(x, ref, new Date(this.deps.now()).toISOString())));
    await withStoreRetry(() => this.deps.lookups.create(key, e.id).catch((err) => {
      if (!(err instanceof ConflictError)) throw err;
    }));
    // Follow-ups (e.g. the full details a card shortens) are lines of their own: retried alone, never re-announced.
    // A chat transferred here brings the conversation so far.
    const history = escalation.transferredFrom ? [`${notices.transferredFrom(escalation.transferredFrom)}\n\n${conversationText(await this.deps.transcripts.list(e.id))}`] : [];
    for (const [i, text] of [...placement.followUps, ...history].entries()) await this.addLine(escalation, 'toDesk', text, `placed|${itemId}|${i}`);
    // Forgotten only now: a retry after a failure above comes back here (the place is stored; ids make it once).
    this.placed.delete(e.id);
    // The escalation changed while the card was being posted: show its current state.
    if (escalation.rev > e.rev + 1 && escalation.deskRef) await this.deskOf(escalation).refresh(escalation, {}, fence);
  }

  /** A line of its own in the outbox (a follow-up, a report): its key makes it once, however often this runs. */
  async addLine(e: Escalation, direction: 'toDesk' | 'toCustomer', text: string, key: string, kind: 'notice' | 'transcript' = 'notice'): Promise<void> {
    const entry = newEntry({ escalationId: e.id, direction, kind, text, sourceActivityId: key, now: new Date(this.deps.now()) });
    void this.outbox!.dispatch(e, await this.outbox!.record(entry, e));
  }

  private deskOf(e: Escalation): AgentDesk {
    const name = e.deskRef?.desk ?? e.desk;
    const desk = this.deps.desks.get(name);
    if (!desk) throw new DeliveryError(`no desk '${name}' is configured`, { retryable: false });
    return desk;
  }
}
