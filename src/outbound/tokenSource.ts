/**
 * Access tokens for outbound Bot Connector calls, one source per app registration (the Copilot Studio agent's,
 * the console's). No registration (local mode) or a loopback target means no token at all.
 */
import { MsalTokenProvider } from '@microsoft/agents-hosting';
import type { AppRegistration } from '../config';

export const BOT_CONNECTOR_SCOPE = 'https://api.botframework.com';

export interface TokenSource {
  token(): Promise<string>;
}

export function tokenSourceFor(registration: AppRegistration | undefined, authority: string): TokenSource {
  if (!registration) return { token: async () => '' };
  const provider = new MsalTokenProvider({
    clientId: registration.appId,
    clientSecret: registration.password,
    tenantId: registration.tenantId,
    authorityEndpoint: authority,
  });
  return { token: () => provider.getAccessToken(BOT_CONNECTOR_SCOPE) };
}
