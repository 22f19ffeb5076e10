/** Builds the customer's reference (who, where, through which bot) from a skill activity. */
import type { Activity } from '@microsoft/agents-activity';
import type { CustomerRef } from '../core/escalation';
import { teamsServiceUrlFor, type TeamsServiceUrlOptions } from './teamsServiceUrl';

export function tenantOf(activity: Activity): string | undefined {
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  return activity.conversation?.tenantId ?? channelData?.tenant?.id ?? undefined;
}

export function customerFromActivity(activity: Activity, options: TeamsServiceUrlOptions): CustomerRef {
  const tenantId = tenantOf(activity);
  const from = activity.from as { id?: string; name?: string; aadObjectId?: string } | undefined;
  return {
    conversationId: activity.conversation!.id,
    userId: from?.id ?? 'unknown',
    userName: from?.name || undefined,
    aadObjectId: from?.aadObjectId || undefined,
    tenantId,
    channelId: activity.channelId ?? 'msteams',
    serviceUrl: teamsServiceUrlFor(activity.serviceUrl ?? '', tenantId, options),
    botId: activity.recipient?.id ?? '',
    botName: activity.recipient?.name || undefined,
    locale: activity.locale || undefined,
  };
}
