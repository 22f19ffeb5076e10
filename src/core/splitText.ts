/**
 * Splits text into parts that each fit in one Teams message, without losing a character.
 * Prefers to cut at a paragraph, line or word boundary in the last fifth of a part.
 */
export function splitText(text: string, maxBytes: number): string[] {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return [text];
  const parts: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest, 'utf8') > maxBytes) {
    const hard = fitChars(rest, maxBytes);
    let cut = hard;
    const window = rest.slice(Math.floor(hard * 0.8), hard);
    for (const sep of ['\n\n', '\n', ' ']) {
      const at = window.lastIndexOf(sep);
      if (at >= 0) {
        cut = Math.floor(hard * 0.8) + at + sep.length;
        break;
      }
    }
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/** The largest prefix length (in UTF-16 units, never splitting a surrogate pair) within maxBytes. */
function fitChars(text: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return Math.max(i, 1);
}
