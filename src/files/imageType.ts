/**
 * What an image really is, read from its first bytes (never from its name or the Content-Type it came with): only
 * PNG, JPEG, GIF and WebP are passed on.
 */
export type ImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

const starts = (bytes: Uint8Array, signature: number[], at = 0) => signature.every((b, i) => bytes[at + i] === b);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

export function imageTypeOf(bytes: Uint8Array): ImageType | undefined {
  if (starts(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts(bytes, ascii('GIF87a')) || starts(bytes, ascii('GIF89a'))) return 'image/gif';
  if (starts(bytes, ascii('RIFF')) && starts(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
}

/** The file name to show for an image: its own, or one made from its type. */
export function imageName(name: string | undefined, type: ImageType): string {
  const clean = (name ?? '').replace(/[\u0000-\u001f\\/]/g, '').trim().slice(0, 120);
  return clean || `image.${type.slice(6).replace('jpeg', 'jpg')}`;
}
