/**
 * Finding an escalation from what an edge knows: the customer's chat (or the LiveChatConversationId it passes) and a
 * desk thread. Every path is point reads; the thread → escalation look-up never changes, so it is cached.
 */
import { BoundedCache } from './boundedCache';
import { isOpen, type Escalation } from './escalation';
import type { Logger } from './logger';
import { lookupKey, type EscalationStore, type LookupStore, type Versioned } from './ports';

/** Thread → escalation never changes once written; this many are remembered per process. */
const THREAD_CACHE_SIZE = 5_000;
/**
 * The versions of the escalations byDesk handed out most recently: the request that read one writes it moments later,
 * so a few hundred cover every request in progress. A WeakMap keyed by the object held no more, but its set cost
 * more than the rest of the look-up (an ephemeron table, swept by the GC), and every agent line passes here.
 */
const VERSION_MEMORY = 256;

export class EscalationFinder {
  private readonly threads = new BoundedCache<string>(THREAD_CACHE_SIZE);
  /** The version of each escalation object handed out by byDesk lately: a later write needs no re-read. */
  private readonly versions = new BoundedCache<Versioned<Escalation>>(VERSION_MEMORY);

  constructor(
    private readonly store: { escalations: EscalationStore; lookups: LookupStore },
    private readonly log: Logger,
  ) {}

  /** One point read when the thread is known to this process, else two. */
  async byDesk(threadId: string): Promise<Escalation | undefined> {
    let id = this.threads.get(threadId);
    if (!id) {
      id = (await this.store.lookups.get(lookupKey.desk(threadId)))?.value;
      if (!id) return undefined;
      this.threads.set(threadId, id);
    }
    const found = await this.store.escalations.get(id);
    if (found) this.versions.set(id, found);
    return found?.value;
  }

  /** `e` with its version, when `e` is the very object byDesk returned (so the version is the one it was read at). */
  versionOf(e: Escalation): Versioned<Escalation> | undefined {
    const read = this.versions.get(e.id);
    return read?.value === e ? read : undefined;
  }

  /** LiveChatConversationId names the escalation (one point read) when it belongs to the calling chat; else the look-up. */
  async forCustomer(conversationId: string, escalationId?: string): Promise<Versioned<Escalation> | undefined> {
    if (escalationId) {
      const named = await this.store.escalations.get(escalationId);
      // A closed one may have a newer successor for the same chat: the look-up knows.
      if (named && named.value.customer.conversationId === conversationId && isOpen(named.value)) return named;
      if (named && named.value.customer.conversationId !== conversationId) this.log.warn({ escalationId }, "LiveChatConversationId names another chat's escalation: ignored");
    }
    return this.byCustomer(conversationId);
  }

  /** At most two point reads: the customer chat's lookup, then the escalation. */
  async byCustomer(conversationId: string): Promise<Versioned<Escalation> | undefined> {
    const lk = await this.store.lookups.get(lookupKey.customer(conversationId));
    return lk ? this.store.escalations.get(lk.value) : undefined;
  }
}
