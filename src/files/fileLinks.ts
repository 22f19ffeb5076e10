/**
 * Links to stored files: `/files/<id>?exp=<unix seconds>&sig=<HMAC-SHA256 of "id.exp", base64url>`. Anyone holding a
 * link may open it until it expires; a wrong, expired or missing signature is refused without saying which.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const FILES_ROUTE = '/files';

export interface FileLinkSigner {
  /** A link to `id` valid for the configured minutes from `nowMs`. */
  url(id: string, nowMs: number): string;
  /** True only for a signature made with our secret for this id and expiry, not yet expired. */
  verify(id: string, exp: string | undefined, sig: string | undefined, nowMs: number): boolean;
}

export function fileLinkSigner(secret: string, minutes: number, base: () => string): FileLinkSigner {
  const mac = (id: string, exp: string) => createHmac('sha256', secret).update(`${id}.${exp}`).digest();
  return {
    url(id, nowMs) {
      const exp = String(Math.floor(nowMs / 1000) + minutes * 60);
      return `${base().replace(/\/+$/, '')}${FILES_ROUTE}/${encodeURIComponent(id)}?exp=${exp}&sig=${mac(id, exp).toString('base64url')}`;
    },
    verify(id, exp, sig, nowMs) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(id, exp);
      // Constant time over the signature; the expiry is checked after, so a forged link learns nothing from timing.
      return given.length === expected.length && timingSafeEqual(given, expected) && Number(exp) * 1000 > nowMs;
    },
  };
}
