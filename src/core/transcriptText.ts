/**
 * The conversation as plain text for a desk thread: every customer and agent line in order, with its time and who
 * spoke, internal notes marked. Customer text stays as typed (the desk posts it as plain text).
 */
import type { TranscriptEntry } from './transcript';

const time = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

export function conversationText(entries: TranscriptEntry[]): string {
  const lines = entries
    .filter((t) => t.kind === 'customer' || t.kind === 'agent' || t.kind === 'note')
    .map((t) => {
      const who = t.kind === 'customer' ? (t.author?.name ?? 'Customer') : (t.author?.name ?? 'Agent');
      return `[${time(t.at)}] ${who}${t.kind === 'note' ? ' (internal note)' : ''}: ${t.text}`;
    });
  return lines.length ? lines.join('\n') : '(nothing was said yet)';
}
