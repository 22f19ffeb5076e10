/** How a message with text and images goes to Teams (a customer's chat or a channel thread), shared by both edges. */
import { splitText } from '../core/splitText';
import type { FileLink } from '../delivery/ports';
import { TEAMS_TEXT_BUDGET_BYTES } from './teamsLimits';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface TeamsMessagePart {
  text: string;
  attachments?: Array<{ contentType: string; contentUrl: string; name?: string }>;
}

/**
 * The text after `prefix` in parts that each fit one Teams message, the images with the last part (they follow the
 * text they belong to). An image without text is one part with an empty text.
 */
export function teamsMessageParts(prefix: string, text: string, files: FileLink[] = []): TeamsMessagePart[] {
  const parts = text ? splitText(text, TEAMS_TEXT_BUDGET_BYTES - Buffer.byteLength(prefix)) : [''];
  const images = files.map((f) => ({ contentType: f.contentType, contentUrl: f.url, name: f.name }));
  return parts.map((part, i) => ({ text: `${prefix}${part}`, ...(i === parts.length - 1 && images.length ? { attachments: images } : {}) }));
}
