/**
 * Fills escalationCard.json from a typed view model. Customer text is data, never template: it is bound into
 * TextRuns (no markdown), and the templating library does not re-expand `${...}` inside data values.
 */
import * as ACData from 'adaptivecards-templating';
import type { Escalation } from '../../core/escalation';
import { duration } from '../../core/notices';
import template from './escalationCard.json';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../outbound/teamsMessages';

export const CardVerbs = {
  claim: 'handover.claim',
  release: 'handover.release',
  resolve: 'handover.resolve',
  refresh: 'handover.refresh',
  transfer: 'handover.transfer',
  reassign: 'handover.reassign',
  forceClose: 'handover.forceClose',
  board: 'handover.board',
} as const;

/** The typeahead dataset of the transfer choice (answered from the team's roster). */
export const AGENTS_DATASET = 'handover.agents';

/** How the card is looked at: the newest line's time, the queues to transfer to, or a thread the chat left. */
export interface CardView {
  lastLineAt?: string;
  /** Every queue name (the transfer choice offers the others). */
  queues?: string[];
  /** Set on the card of a thread the escalation left: the queue it went to. */
  transferredTo?: string;
  /** The viewer is a supervisor: Reassign and Force close, whoever owns the chat. */
  supervisor?: boolean;
  /** Teams user ids (besides the owner) who get a view of their own: the supervisors. */
  watchers?: string[];
}

/** Teams takes at most this many ids for user-specific views. */
const MAX_REFRESH_USERS = 60;

/** Teams rejects larger messages on some paths; a card must stay under this. */
export const CARD_MAX_BYTES = 28 * 1024;

const LIMITS = { name: 120, problem: 1500, contextItems: 15, contextLabel: 60, contextValue: 300 };

/** Handoff variables worth a readable label; other keys are shown as they come. */
const CONTEXT_LABELS: Record<string, string> = {
  va_LastTopic: 'Last topic',
  va_Topics: 'Topics',
  va_LastPhrases: 'Last thing said',
  va_Phrases: 'Phrases',
  va_AgentMessage: 'Message to agent',
  va_Language: 'Language',
  va_BotName: 'Virtual agent',
  va_ConversationId: 'Conversation',
};

/** True when the card shows a shortened problem or context: the thread then gets the full text. */
export function cardCutsText(e: Escalation): boolean {
  const entries = Object.entries(e.context);
  // Past this many bytes of text the card may have to drop some of it to fit (renderEscalationCard).
  const textBytes = Buffer.byteLength(e.problem) + entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  return (
    textBytes > 12 * 1024 ||
    [...e.problem].length > LIMITS.problem ||
    entries.length > LIMITS.contextItems ||
    entries.some(([k, v]) => [...v].length > LIMITS.contextValue || [...k].length > LIMITS.contextLabel)
  );
}

/** The full problem and context, as plain text for the thread. */
export function fullDetails(e: Escalation): string {
  const lines = [`Full details (shortened on the card)`, '', `Problem: ${e.problem}`];
  for (const [key, value] of Object.entries(e.context)) lines.push(`${CONTEXT_LABELS[key] ?? key}: ${value}`);
  return lines.join('\n');
}

export interface EscalationCardModel {
  escalationId: string;
  refreshUserIds: string[];
  headline: string;
  customerName: string;
  customerDetail: string;
  statusLabel: string;
  statusColor: 'Attention' | 'Good' | 'Accent' | 'Warning' | 'Default';
  problem: string;
  context: Array<{ label: string; value: string }>;
  waitingSince: string;
  /** The queue, unless it is the default one; and why it is there, when that needs saying. */
  queue: string;
  routingNote: string;
  lastMessage: string;
  /** While queued: "On time" or "Overdue: …" (the unclaimed reminders). */
  slaState: string;
  /** Once an agent answered: how long after the customer asked. */
  firstResponse: string;
  /** "Rated 4 / 5", "Survey sent", "No rating given" after an agent's resolve; empty otherwise. */
  rating: string;
  ownerTitle: string;
  ownerLine: string;
  deliveryProblem: string;
  hint: string;
  canClaim: boolean;
  canRelease: boolean;
  canResolve: boolean;
  canTransfer: boolean;
  transferChoices: Array<{ title: string; value: string }>;
  canReassign: boolean;
  canForceClose: boolean;
}

export function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function clock(iso: string | undefined, now: Date): string {
  if (!iso) return '';
  const at = new Date(iso);
  const minutes = Math.max(0, Math.round((now.getTime() - at.getTime()) / 60_000));
  const ago = minutes < 1 ? 'just now' : minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
  return `${at.toISOString().slice(11, 16)} UTC (${ago})`;
}

type StatusView = Pick<EscalationCardModel, 'headline' | 'statusLabel' | 'statusColor' | 'ownerTitle' | 'ownerLine'>;

function status(e: Escalation): StatusView {
  if (e.status === 'queued') return { headline: 'Customer waiting for an agent', statusLabel: 'Queued', statusColor: 'Attention', ownerTitle: '', ownerLine: '' };
  if (e.status === 'claimed') return { headline: 'Live chat with a customer', statusLabel: `Claimed by ${e.owner?.name}`, statusColor: 'Accent', ownerTitle: 'Agent', ownerLine: e.owner?.name ?? '' };
  if (e.closedReason === 'agent') return { headline: 'Chat resolved', statusLabel: `Resolved by ${e.closedBy?.name}`, statusColor: 'Good', ownerTitle: 'Resolved by', ownerLine: e.closedBy?.name ?? '' };
  if (e.closedReason === 'customer') return { headline: 'The customer left the chat', statusLabel: 'Customer left', statusColor: 'Warning', ownerTitle: 'Agent', ownerLine: e.owner?.name ?? '' };
  if (e.closedReason === 'supervisor') return { headline: 'Chat closed by a supervisor', statusLabel: `Closed by ${e.closedBy?.name}`, statusColor: 'Warning', ownerTitle: 'Closed by', ownerLine: e.closedBy?.name ?? '' };
  if (e.closedReason === 'inactive') return { headline: 'Closed for inactivity', statusLabel: 'Closed: customer inactive', statusColor: 'Warning', ownerTitle: 'Agent', ownerLine: e.owner?.name ?? '' };
  return { headline: 'Chat abandoned', statusLabel: 'Abandoned', statusColor: 'Default', ownerTitle: '', ownerLine: '' };
}

/** The card of an escalation (or, with `view.transferredTo`, of the thread it left). */
export function escalationCardModel(e: Escalation, now: Date, noteMarker: string, view: CardView = {}): EscalationCardModel {
  const model = currentCardModel(e, now, noteMarker, view);
  if (!view.transferredTo) return model;
  const to = cut(view.transferredTo, 40);
  return { ...model, headline: `Transferred to ${to}`, statusLabel: `Transferred to ${to}`, statusColor: 'Default', slaState: '', hint: 'This thread no longer reaches the customer.', refreshUserIds: [], canClaim: false, canRelease: false, canResolve: false, canTransfer: false, transferChoices: [], canReassign: false, canForceClose: false };
}

function currentCardModel(e: Escalation, now: Date, noteMarker: string, view: CardView): EscalationCardModel {
  const lastLineAt = view.lastLineAt;
  const c = e.customer;
  const detail = [c.locale, c.detail].filter(Boolean).join(' · ');
  const context = Object.entries(e.context)
    .slice(0, LIMITS.contextItems)
    .map(([key, value]) => ({ label: cut(CONTEXT_LABELS[key] ?? key, LIMITS.contextLabel), value: cut(value, LIMITS.contextValue) }));
  const hint =
    e.status === 'queued'
      ? 'Claim it, or reply in this thread to claim and answer.'
      : e.status === 'claimed'
        ? `Replies from ${e.owner?.name} in this thread go to the customer. Start a line with ${noteMarker} for an internal note.`
        : 'This chat is closed.';
  return {
    escalationId: e.id,
    refreshUserIds: e.status === 'closed' ? [] : [...new Set([...(e.status === 'claimed' && e.owner ? [e.owner.id] : []), ...(view.watchers ?? [])])].slice(0, MAX_REFRESH_USERS),
    customerName: cut(c.name || 'Customer', LIMITS.name),
    customerDetail: detail ? ` · ${detail}` : '',
    ...status(e),
    problem: cut(e.problem || '(not given)', LIMITS.problem),
    context,
    waitingSince: clock(e.createdAt, now),
    queue: e.queue && e.queue !== 'default' ? cut(e.queue, 40) : '',
    routingNote: e.routingNote ? cut(e.routingNote, 200) : '',
    lastMessage: clock(lastLineAt, now),
    slaState: e.status !== 'queued' ? '' : e.timers?.claimOverdue === 'leads' ? 'Overdue: team leads notified' : e.timers?.claimOverdue ? 'Overdue: team notified' : 'On time',
    rating: e.survey ? (e.survey.score !== undefined ? `Rated ${e.survey.score} / 5` : e.survey.answeredAt ? 'No rating given' : 'Survey sent, no answer yet') : '',
    firstResponse: e.firstResponseAt ? `after ${duration(Math.max(0, Math.round((Date.parse(e.firstResponseAt) - Date.parse(e.createdAt)) / 1000)))}` : '',
    deliveryProblem: e.deliveryProblem ? `⚠️ ${cut(e.deliveryProblem, 300)}` : '',
    hint,
    canClaim: e.status === 'queued',
    canRelease: e.status === 'claimed',
    canResolve: e.status === 'claimed',
    canTransfer: e.status === 'claimed',
    transferChoices: transferChoices(e, view.queues ?? [], !!view.supervisor),
    canReassign: !!view.supervisor && e.status !== 'closed',
    canForceClose: !!view.supervisor && e.status !== 'closed',
  };
}

/**
 * The other queues; colleagues come from the typeahead. Renderers refuse a choice set without a static choice, so
 * with no other queue there is one that asks for a name (chosen as it is, it is answered with what to do).
 */
function transferChoices(e: Escalation, queues: string[], anyQueue = false): Array<{ title: string; value: string }> {
  const others = queues.filter((q) => anyQueue || q !== (e.queue ?? 'default')).map((q) => ({ title: `Queue: ${q}`, value: `queue:${q}` }));
  return others.length ? others : [{ title: "Type a colleague's name", value: 'agent:' }];
}

/**
 * The card as JSON, under Teams' size limit. The view model's cuts count characters, and a character can take four
 * bytes (emoji): a card still too large loses context rows from the end, then half its problem text at a time (the
 * thread has the full details then, see cardCutsText). Only a card that cannot fit even so is an error.
 */
export function renderEscalationCard(model: EscalationCardModel): Record<string, unknown> {
  let m = model;
  for (;;) {
    const card = dropNulls(new ACData.Template(template).expand({ $root: m })) as Record<string, unknown>;
    const bytes = Buffer.byteLength(JSON.stringify(card));
    if (bytes <= CARD_MAX_BYTES) return card;
    if (m.context.length > 0) m = { ...m, context: m.context.slice(0, -1) };
    else if ([...m.problem].length > 40) m = { ...m, problem: cut(m.problem, Math.floor([...m.problem].length / 2)) };
    else throw new Error(`escalation card is ${bytes} bytes, over ${CARD_MAX_BYTES}`);
  }
}

/** `$when: false` on an object property leaves a null behind; renderers reject it. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(dropNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, dropNulls(v)]));
  }
  return value;
}


export function cardAttachment(card: Record<string, unknown>): { contentType: string; content: Record<string, unknown> } {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}
