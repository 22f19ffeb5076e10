/**
 * Which service URLs may receive our calls (and tokens). A forged serviceUrl in an activity must never make us
 * send a token elsewhere: hosts are matched exactly or as a dot-suffix, https only, loopback only in local mode.
 */
import { BoundedCache } from '../core/boundedCache';
import { DeliveryError } from '../delivery/deliveryError';

export interface ServiceUrlPolicy {
  allowedHosts: string[];
  allowLoopback: boolean;
}

/** Loopback and unspecified hosts as URL parsing spells them (127.1 → 127.0.0.1, [::ffff:127.0.0.1] → [::ffff:7f00:1]). */
const LOOPBACK_HOST = /^((.+\.)?localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1?\]|::1|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\])$/i;

/** A parsed URL's hostname that names this machine, however it is spelled (a trailing dot too). */
export function isLoopback(host: string): boolean {
  return LOOPBACK_HOST.test(host.replace(/\.$/, ''));
}

/**
 * The only spellings of a loopback service URL we accept, the same pattern the skill's token choice uses (skillAdapter.ts):
 * a loopback host spelled otherwise (`127.1`, `0x7f000001`, `[0::1]`, `user@127.0.0.1`, `http://localhost` with no
 * slash) would pass a check of the parsed host yet get the skill's token from the Agents SDK, which matches the raw URL.
 */
export const LOOPBACK_SERVICE_URL = '^https?://(127\\.\\d+\\.\\d+\\.\\d+|localhost|\\[::1\\])[:/]';
const loopbackSpelling = new RegExp(LOOPBACK_SERVICE_URL, 'i');

export type ServiceUrlVerdict = { allowed: true; loopback: boolean } | { allowed: false; reason: string };

/**
 * Verdicts remembered per policy (policies are fixed at start-up): a deployment sees a handful of service URLs, one
 * per region and tenant, and one is asked on every inbound activity and every send. Only allowed URLs of a sane
 * length are remembered, in a BoundedCache (at most 512 held; a hit is one lookup). A forged URL is
 * judged afresh each time: the console's route checks it before the Bot Framework checks the token, so remembering
 * refusals would let anyone fill the map with bodies of their choosing.
 */
const verdicts = new WeakMap<ServiceUrlPolicy, BoundedCache<ServiceUrlVerdict>>();
/** A BoundedCache holds up to twice this. */
const REMEMBERED_URLS = 256;
const REMEMBERED_URL_LENGTH = 256;

export function checkServiceUrl(serviceUrl: string, policy: ServiceUrlPolicy): ServiceUrlVerdict {
  let memo = verdicts.get(policy);
  if (!memo) verdicts.set(policy, (memo = new BoundedCache<ServiceUrlVerdict>(REMEMBERED_URLS)));
  const known = memo.get(serviceUrl);
  if (known) return known;
  const verdict = Object.freeze(judge(serviceUrl, policy));
  if (verdict.allowed && serviceUrl.length <= REMEMBERED_URL_LENGTH) memo.set(serviceUrl, verdict);
  return verdict;
}

function judge(serviceUrl: string, policy: ServiceUrlPolicy): ServiceUrlVerdict {
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return { allowed: false, reason: 'not a URL' };
  }
  const host = url.hostname.toLowerCase();
  if (isLoopback(host)) {
    if (!policy.allowLoopback) return { allowed: false, reason: `loopback host ${host} is allowed only in local mode` };
    if (!loopbackSpelling.test(serviceUrl)) return { allowed: false, reason: 'a loopback service URL is accepted only as http(s)://127.x.x.x, localhost or [::1] followed by : or /' };
    return { allowed: true, loopback: true };
  }
  if (url.protocol !== 'https:') return { allowed: false, reason: `${url.protocol} is not https` };
  const ok = policy.allowedHosts.some((h) => host === h.toLowerCase() || host.endsWith(`.${h.toLowerCase()}`));
  return ok ? { allowed: true, loopback: false } : { allowed: false, reason: `host ${host} is not on the allow-list` };
}

/** Throws a permanent DeliveryError for a service URL outside the policy. */
export function assertServiceUrl(serviceUrl: string, policy: ServiceUrlPolicy): { loopback: boolean } {
  const verdict = checkServiceUrl(serviceUrl, policy);
  if (!verdict.allowed) throw new DeliveryError(`service URL refused: ${verdict.reason}`, { retryable: false });
  return { loopback: verdict.loopback };
}

/** Why an inbound activity's serviceUrl is refused (we would have to call it back), or undefined when fine. */
export function serviceUrlRefusal(serviceUrl: string | undefined, policy: ServiceUrlPolicy): string | undefined {
  if (!serviceUrl) return 'activity.serviceUrl is required';
  const verdict = checkServiceUrl(serviceUrl, policy);
  return verdict.allowed ? undefined : `activity.serviceUrl is not allowed: ${verdict.reason}`;
}

/** A URL's host (with its port), lowercase; undefined for text that is not a URL. */
export function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
