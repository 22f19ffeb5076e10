const MARKUP = /[<&]/;

/** What an agent typed, without the bot's @mention and Teams' markup around it. */
export function agentText(text: string | undefined): string {
  // Plain text (most lines) has neither markup nor entities: nine replaces would find nothing.
  if (!text || !MARKUP.test(text)) return (text ?? '').trim();
  return text
    .replace(/<at[^>]*>.*?<\/at>/gi, '')
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
