const MARKUP = /[<&]/;

/**
 * What an agent typed, without the bot's @mention and Teams' markup around it. `botMentions`: the mention texts that
 * name the bot (its entities' `text`, e.g. `<at>Console</at>`): removed. Anyone else @mentioned keeps their name as
 * plain text ("ask Ann Smith about it"). Without them every mention is taken for the bot's, as Teams names no one else.
 */
export function agentText(text: string | undefined, botMentions?: string[]): string {
  // Plain text (most lines) has neither markup nor entities: nine replaces would find nothing.
  if (!text || !MARKUP.test(text)) return (text ?? '').trim();
  let t = text;
  if (botMentions) for (const m of botMentions) if (m) t = t.split(m).join('');
  return t
    .replace(/<at[^>]*>(.*?)<\/at>/gi, botMentions ? '$1' : '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?(p|div|span)[^>]*>/gi, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/** The note marker opens a line that stays internal; returns the note's text, or undefined. */
export function noteText(text: string, marker: string): string | undefined {
  return text.toLowerCase().startsWith(marker.toLowerCase()) ? text.slice(marker.length).trim() : undefined;
}
