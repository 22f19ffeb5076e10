/**
 * Copilot Studio calls the skill with its own `pvaruntime…` serviceUrl; proactive messages to the customer must go
 * to the Teams service for the customer's region and tenant instead. The reference sample drops the tenant; we keep it.
 */

export interface TeamsServiceUrlOptions {
  /** https://smba.trafficmanager.net/ (tests point it at a loopback stub). */
  base: string;
  /** amer / emea / apac ...; when unset it is guessed from the pvaruntime host. */
  region?: string;
}

/** Guesses the Teams region from the Copilot Studio runtime host (e.g. pvaruntime.eu-il104…). */
export function regionFromHost(serviceUrl: string): string {
  let host = '';
  try {
    host = new URL(serviceUrl).hostname.toLowerCase();
  } catch {
    return 'amer';
  }
  if (/(^|[.-])(eu|uk|emea|fr|de|ch|no|se)[-.\d]/.test(host)) return 'emea';
  if (/(^|[.-])(ap|as|asia|jp|au|in|kr|sg|apac)[-.\d]/.test(host)) return 'apac';
  return 'amer';
}

export function isCopilotRuntimeUrl(serviceUrl: string): boolean {
  return /pvaruntime/i.test(serviceUrl);
}

/** The Teams service URL to reach the customer; Teams URLs pass unchanged. */
export function teamsServiceUrlFor(serviceUrl: string, tenantId: string | undefined, options: TeamsServiceUrlOptions): string {
  if (!isCopilotRuntimeUrl(serviceUrl)) return serviceUrl;
  const base = options.base.endsWith('/') ? options.base : `${options.base}/`;
  if (!tenantId) return `${base}teams/`;
  const region = options.region ?? regionFromHost(serviceUrl);
  return `${base}${region}/${encodeURIComponent(tenantId)}/`;
}
