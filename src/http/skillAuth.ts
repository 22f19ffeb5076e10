/**
 * Inbound authentication for the skill: the Agents SDK's JWT middleware (audience = the skill's app id, keys
 * from the configured authority), then our allow-lists: the caller's app id (azp/appid) and, optionally, its tenant.
 */
import { authorizeJWT, type AuthConfiguration } from '@microsoft/agents-hosting';
import type { Request, Response } from 'restify';
import type { Logger } from '../core/logger';
import { chainable } from './restifyResponse';

export interface SkillAuthOptions {
  /** Off only in local mode. */
  enabled: boolean;
  allowedCallers: string[];
  allowedTenants: string[];
}

export type RequestGate = (req: Request, res: Response) => Promise<boolean>;

interface Claims {
  azp?: string;
  appid?: string;
  tid?: string;
}

export function skillAuth(authConfig: AuthConfiguration, options: SkillAuthOptions, log: Logger): RequestGate {
  if (!options.enabled) return async () => true;
  const verify = authorizeJWT(authConfig);
  return async (req, res) => {
    let verified = false;
    await verify(req as never, chainable(res) as never, () => {
      verified = true;
    });
    if (!verified) {
      log.warn({ path: req.path() }, 'rejected: invalid or missing token');
      return false;
    }
    const claims = ((req as unknown as { user?: Claims }).user ?? {}) as Claims;
    const caller = claims.azp ?? claims.appid;
    if (!caller || !(options.allowedCallers.includes('*') || options.allowedCallers.includes(caller))) {
      log.warn({ caller }, 'rejected: caller not on ALLOWED_CALLERS');
      res.send(403, { error: 'forbidden', reason: 'the calling app is not on the allow-list' });
      return false;
    }
    if (options.allowedTenants.length > 0 && !(claims.tid && options.allowedTenants.includes(claims.tid))) {
      log.warn({ caller, tenant: claims.tid }, 'rejected: tenant not on ALLOWED_TENANTS');
      res.send(403, { error: 'forbidden', reason: 'the calling tenant is not on the allow-list' });
      return false;
    }
    return true;
  };
}
