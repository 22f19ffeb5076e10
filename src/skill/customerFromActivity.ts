/** Builds the customer's reference (who, where, through which bot) from a skill activity. */
import type { Activity } from '@microsoft/agents-activity';
import type { CustomerRef } from '../core/escalation';
import { TEAMS_CUSTOMER_CHANNEL, type TeamsCustomerAddress } from './teamsCustomerChannel';
import { teamsServiceUrlFor, type TeamsServiceUrlOptions } from './teamsServiceUrl';

export function tenantOf(activity: Activity): string | undefined {
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  return activity.conversation?.tenantId ?? channelData?.tenant?.id ?? undefined;
}

export function customerFromActivity(activity: Activity, options: TeamsServiceUrlOptions): CustomerRef {
  const tenantId = tenantOf(activity);
  const from = activity.from as { id?: string; name?: string; aadObjectId?: string } | undefined;
  const address: TeamsCustomerAddress = {
    userId: from?.id ?? 'unknown',
    userName: from?.name || undefined,
    aadObjectId: from?.aadObjectId || undefined,
    tenantId,
    channelId: activity.channelId ?? 'msteams',
    serviceUrl: teamsServiceUrlFor(activity.serviceUrl ?? '', tenantId, options),
    botId: activity.recipient?.id ?? '',
    botName: activity.recipient?.name || undefined,
  };
  return {
    channel: TEAMS_CUSTOMER_CHANNEL,
    conversationId: activity.conversation!.id,
    name: address.userName,
    locale: activity.locale || undefined,
    detail: address.aadObjectId ? 'Teams user' : undefined,
    address: { ...address },
  };
}
