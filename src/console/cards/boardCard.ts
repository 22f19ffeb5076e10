/**
 * The lead's board (`board` typed to the console): every open escalation per queue with its state, owner, waiting
 * time and SLA state, and a link to its thread. Customer names are data (TextRuns), never markup.
 */
import * as ACData from 'adaptivecards-templating';
import { queueOf, type Escalation } from '../../core/escalation';
import { duration } from '../../core/notices';
import { TEAMS_CHANNEL_DESK, threadOf } from '../teamsChannelDesk';
import template from './boardCard.json';
import { CARD_MAX_BYTES, cut } from './escalationCard';

/** Rows shown per board; the rest are counted (the card must stay under Teams' size limit). */
export const BOARD_MAX_ROWS = 40;

interface BoardRow {
  id: string;
  customer: string;
  state: string;
  color: 'Attention' | 'Accent' | 'Warning';
  waiting: string;
  link: string;
}

/** `viewer.supervisor`: each row offers Force close; `watchers`: supervisors' Teams ids for their own view (≤ 60). */
/** `ratings`: what customers gave over the last RATING_DAYS days, averaged per queue on the board. */
export function boardCardModel(open: Escalation[], queues: string[], now: Date, tenantId?: string, viewer: { supervisor?: boolean; watchers?: string[] } = {}, ratings: Array<{ queue: string; score: number }> = []) {
  const since = (iso?: string) => duration(Math.max(0, Math.round((now.getTime() - Date.parse(iso ?? now.toISOString())) / 1000)));
  const row = (e: Escalation): BoardRow => {
    const overdue = e.status === 'queued' && e.timers?.claimOverdue;
    return {
      id: e.id,
      customer: cut(e.customer.name || 'Customer', 60),
      state: `${e.status === 'claimed' ? `With ${cut(e.owner?.name ?? 'an agent', 40)}` : overdue ? 'Waiting · SLA overdue' : 'Waiting · on time'}${e.deskRef && e.deskRef.desk !== TEAMS_CHANNEL_DESK ? ` (${e.deskRef.desk} desk)` : ''}`,
      color: e.status === 'claimed' ? 'Accent' : overdue ? 'Warning' : 'Attention',
      waiting: e.status === 'claimed' ? `claimed ${since(e.claimedAt)} ago` : `waiting ${since(e.queuedAt ?? e.createdAt)}`,
      link: threadLink(e, tenantId),
    };
  };
  const byAge = (a: Escalation, b: Escalation) => (a.createdAt < b.createdAt ? -1 : 1);
  let shown = 0;
  const names = [...new Set([...queues, ...open.map(queueOf), ...ratings.map((r) => r.queue)])];
  const sections = names.map((name) => {
    const mine = open.filter((e) => queueOf(e) === name).sort(byAge);
    const rows = mine.slice(0, Math.max(0, BOARD_MAX_ROWS - shown)).map(row);
    shown += rows.length;
    const queued = mine.filter((e) => e.status === 'queued').length;
    return { title: `${name}: ${queued} waiting, ${mine.length - queued} in a chat`, rating: ratingLine(ratings.filter((r) => r.queue === name).map((r) => r.score)), rows };
  });
  return {
    summary: `${open.length} open as of ${now.toISOString().slice(11, 16)} UTC`,
    queues: sections,
    openCount: open.length,
    more: moreLine(open.length, shown),
    supervisor: !!viewer.supervisor,
    refreshUserIds: (viewer.watchers ?? []).slice(0, 60),
  };
}

/** Over how many days the board averages the ratings. */
export const RATING_DAYS = 7;

function ratingLine(scores: number[]): string {
  if (!scores.length) return `No ratings in the last ${RATING_DAYS} days.`;
  const average = scores.reduce((a, b) => a + b, 0) / scores.length;
  return `Rated ${average.toFixed(1)} / 5 on average (${scores.length} rating${scores.length === 1 ? '' : 's'}, last ${RATING_DAYS} days).`;
}

/** A link to the escalation's thread in Teams (the channel message that holds its card). */
function threadLink(e: Escalation, tenantId?: string): string {
  if (!e.deskRef) return 'https://teams.microsoft.com';
  if (e.deskRef.desk !== TEAMS_CHANNEL_DESK) return ''; // served on another desk (a live-chat product): no Teams thread
  const t = threadOf(e.deskRef);
  const channel = t.conversationId.split(';')[0];
  const q = new URLSearchParams({ ...(tenantId ? { tenantId } : {}), parentMessageId: t.rootActivityId });
  return `https://teams.microsoft.com/l/message/${encodeURIComponent(channel)}/${encodeURIComponent(t.rootActivityId)}?${q.toString()}`;
}

const moreLine = (open: number, shown: number) => (open > shown ? `…and ${open - shown} more not shown.` : '');

/**
 * The card, under Teams' size limit whatever its rows hold: the row cap is a first cut, and rows are then dropped from
 * the end (and counted in "more") until the card fits. A supervisor's rows carry a Close action each and weigh more.
 */
export function renderBoardCard(model: ReturnType<typeof boardCardModel>): Record<string, unknown> {
  let m = model;
  for (;;) {
    const card = new ACData.Template(template).expand({ $root: m }) as Record<string, unknown>;
    const last = [...m.queues].reverse().find((q) => q.rows.length > 0);
    if (!last || Buffer.byteLength(JSON.stringify(card)) <= CARD_MAX_BYTES) return card;
    const queues = m.queues.map((q) => (q === last ? { ...q, rows: q.rows.slice(0, -1) } : q));
    m = { ...m, queues, more: moreLine(m.openCount, queues.reduce((n, q) => n + q.rows.length, 0)) };
  }
}
