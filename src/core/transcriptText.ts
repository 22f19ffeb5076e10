/**
 * The conversation as plain text for a desk thread: every customer and agent line in order, with its time and who
 * spoke, internal notes marked. Customer text stays as typed (the desk posts it as plain text).
 */
import type { Escalation } from './escalation';
import { howClosed } from './notices';
import { splitText } from './splitText';
import type { TranscriptEntry } from './transcript';

const time = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * Text typed by someone, on one entry: its own line breaks start continuation lines ("↳"), so a line of its text can
 * never pass for an entry of its own ("[time] Ann: …" typed by the customer). Names lose their line breaks.
 */
const continued = (text: string) => text.replace(/\r\n?|\n|\u2028|\u2029/g, '\n  ↳ ');
const oneLine = (name: string) => name.replace(/[\r\n\u2028\u2029]+/g, ' ');

function spoken(t: TranscriptEntry): string {
  const who = oneLine(t.kind === 'customer' ? (t.author?.name ?? 'Customer') : (t.author?.name ?? 'Agent'));
  const files = t.files?.length ? ` [${t.files.map((f) => `image: ${oneLine(f.name ?? f.contentType)}`).join(', ')}]` : '';
  return `[${time(t.at)}] ${who}${t.kind === 'note' ? ' (internal note)' : ''}: ${continued(t.text)}${files}`;
}

export function conversationText(entries: TranscriptEntry[]): string {
  const lines = entries.filter((t) => t.kind === 'customer' || t.kind === 'agent' || t.kind === 'note').map(spoken);
  return lines.length ? lines.join('\n') : '(nothing was said yet)';
}

/** A notice the service sent because of a state change or a timer (claims, releases, transfers, reminders, the close). */
const isEventNotice = (t: TranscriptEntry) => t.kind === 'notice' && (t.event !== undefined || (t.sourceActivityId ?? '').startsWith('event|'));

function closeLine(e: Escalation): string {
  return `[${time(e.closedAt ?? e.updatedAt)}] ■ Chat closed: ${howClosed(e)}.`;
}

/**
 * The whole chat once it is closed: both sides' lines, notes, and what the service told either side (claims,
 * releases, transfers, the close), in intake order. Notices are marked "·" and say who they went to.
 */
export function transcriptText(e: Escalation, entries: TranscriptEntry[]): string {
  const lines = entries
    .filter((t) => t.kind === 'customer' || t.kind === 'agent' || t.kind === 'note' || isEventNotice(t))
    .map((t) => (t.kind === 'notice' ? `[${time(t.at)}] · ${t.direction === 'toCustomer' ? 'To the customer' : 'To the desk'}: ${continued(t.text)}` : spoken(t)));
  const head = `Customer: ${oneLine(e.customer.name ?? 'Customer')} · queue ${e.queue ?? 'default'} · opened ${time(e.createdAt)}`;
  return [head, ...lines, closeLine(e)].join('\n');
}

/** The transcript in messages of at most `maxBytes` each, numbered; joined without their headings they are the whole text. */
export function transcriptMessages(e: Escalation, entries: TranscriptEntry[], maxBytes: number): string[] {
  const heading = (i: number, n: number) => `📄 Transcript${n > 1 ? ` (${i + 1}/${n})` : ''}\n`;
  const room = maxBytes - Buffer.byteLength(heading(998, 999));
  const parts = splitText(transcriptText(e, entries), room);
  return parts.map((p, i) => `${heading(i, parts.length)}${p}`);
}
