/**
 * The skill's CloudAdapter (Agents SDK). Replies to Copilot Studio use the skill's registration; loopback
 * service URLs (local mode and tests only) get a connection without credentials, so no token ever goes there.
 * Outbound hosts are checked by our service-URL policy, so a forged serviceUrl is refused before any token.
 */
import { CloudAdapter, type AuthConfiguration } from '@microsoft/agents-hosting';
import type { Config } from '../config';
import { checkServiceUrl, LOOPBACK_SERVICE_URL, type ServiceUrlPolicy } from '../outbound/serviceUrlPolicy';

export function skillAuthConfig(config: Config): AuthConfiguration {
  const skill = config.skill;
  const connection: AuthConfiguration = {
    clientId: skill?.appId,
    clientSecret: skill?.password,
    tenantId: skill?.tenantId,
    authorityEndpoint: config.entraAuthority,
  };
  return {
    ...connection,
    connections: new Map<string, AuthConfiguration>([
      ['skill', connection],
      ['loopback', {}],
    ]),
    connectionsMap: [
      ...(config.allowLoopbackServiceUrls ? [{ serviceUrl: LOOPBACK_SERVICE_URL, connection: 'loopback' }] : []),
      { serviceUrl: '*', connection: 'skill' },
    ],
  };
}

export function createSkillAdapter(authConfig: AuthConfiguration, policy: ServiceUrlPolicy): CloudAdapter {
  const adapter = new CloudAdapter(authConfig, undefined, undefined, undefined, {
    enabled: true,
    isAllowed: (url) => (url ? checkServiceUrl(String(url), policy).allowed : true),
  });
  // The SDK's default handler swallows the error and answers 200; the HTTP edge must see it (a line that could
  // not be stored is a 503, never a 200).
  adapter.onTurnError = async (_ctx, err) => {
    throw err;
  };
  return adapter;
}
