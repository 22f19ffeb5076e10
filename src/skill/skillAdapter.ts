/**
 * The skill's CloudAdapter (Agents SDK). Replies to Copilot Studio use the skill's registration; loopback
 * service URLs (local mode and tests only) get a connection without credentials, so no token ever goes there.
 * Outbound hosts are checked by our service-URL policy, so a forged serviceUrl is refused before any token.
 */
import { CloudAdapter, type AuthConfiguration } from '@microsoft/agents-hosting';
import type { Config } from '../config';
import { checkServiceUrl, type ServiceUrlPolicy } from '../outbound/serviceUrlPolicy';

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
      ...(config.allowLoopbackServiceUrls ? [{ serviceUrl: '^https?://(127\\.\\d+\\.\\d+\\.\\d+|localhost|\\[::1\\])[:/]', connection: 'loopback' }] : []),
      { serviceUrl: '*', connection: 'skill' },
    ],
  };
}

export function createSkillAdapter(authConfig: AuthConfiguration, policy: ServiceUrlPolicy): CloudAdapter {
  return new CloudAdapter(authConfig, undefined, undefined, undefined, {
    enabled: true,
    isAllowed: (url) => (url ? checkServiceUrl(String(url), policy).allowed : true),
  });
}
