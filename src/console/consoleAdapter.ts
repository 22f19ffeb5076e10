/**
 * The console's inbound side: a teams-ai TeamsAdapter whose token validation (Bot Framework channel tokens,
 * audience = the console app id) reads its OpenID metadata from a configurable URL (sovereign clouds, tests).
 * With no console app id (local mode) inbound auth is off, as the Bot Framework SDK does.
 */
import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Config } from '../config';

export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

export function createConsoleAdapter(config: Config): TeamsAdapter {
  const app = config.console;
  const tenant = app?.tenantId;
  return new TeamsAdapter({
    MicrosoftAppId: app?.appId ?? '',
    MicrosoftAppPassword: app?.password ?? '',
    MicrosoftAppType: tenant ? 'SingleTenant' : 'MultiTenant',
    MicrosoftAppTenantId: tenant ?? '',
    ToBotFromChannelOpenIdMetadataUrl: config.botFrameworkOpenIdMetadataUrl,
    ToBotFromChannelTokenIssuer: BOT_FRAMEWORK_ISSUER,
    ToBotFromEmulatorOpenIdMetadataUrl: `${config.entraAuthority}/common/v2.0/.well-known/openid-configuration`,
    ToChannelFromBotLoginUrl: `${config.entraAuthority}/${tenant ?? 'botframework.com'}`,
    ToChannelFromBotOAuthScope: BOT_FRAMEWORK_ISSUER,
    OAuthUrl: 'https://api.botframework.com',
    CallerId: 'urn:botframework:azure',
    ValidateAuthority: true,
  } as never);
}
