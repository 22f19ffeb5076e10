/**
 * Who may act on escalations: people in the configured tenant who are members of the agents' team.
 * Membership comes from the team roster (TeamRoster), which remembers answers for a few minutes.
 */
import { DEFAULT_QUEUE, type AgentRef } from '../core/escalation';
import type { Logger } from '../core/logger';
import type { TeamRoster } from './teamRoster';
import type { AgentChannelRegistry } from './agentChannel';

export type Access = { allowed: true; agent: AgentRef } | { allowed: false; reason: string };

export interface ActorActivity {
  from?: { id?: string; name?: string; aadObjectId?: string };
  conversation?: { tenantId?: string };
  channelData?: { tenant?: { id?: string }; team?: { id?: string } };
}

export class AgentAccess {
  constructor(
    private readonly channels: AgentChannelRegistry,
    private readonly roster: TeamRoster,
    private readonly requiredTenantId: string | undefined,
    private readonly log: Logger,
  ) {}

  /** May this person act on an escalation of `queue`? Only members of the team whose channel serves it. */
  async check(activity: ActorActivity, queue = DEFAULT_QUEUE): Promise<Access> {
    const from = activity.from;
    if (!from?.id) return { allowed: false, reason: 'The request does not say who you are.' };
    const channel = await this.channels.forQueue(queue);
    if (!channel) return { allowed: false, reason: 'No agent channel is set up yet. An admin can type "use this channel" in the agents\' channel.' };
    const tenant = activity.channelData?.tenant?.id ?? activity.conversation?.tenantId;
    const requiredTenant = this.requiredTenantId ?? channel.tenantId;
    if (requiredTenant && tenant !== requiredTenant) return { allowed: false, reason: 'Only the support organisation can act on escalations.' };
    const team = activity.channelData?.team?.id;
    const named = queue !== DEFAULT_QUEUE;
    if (team && team !== channel.teamId) return { allowed: false, reason: named ? `Escalations of the ${queue} queue can only be handled from its own team.` : "Escalations can only be handled from the agents' team." };
    if (!(await this.isMember(channel.serviceUrl, channel.teamId, from.id))) {
      this.log.warn({ userId: from.id }, 'refused: not a member of the agents team');
      return { allowed: false, reason: named ? `Only members of the ${queue} queue's team can act on its escalations.` : "Only members of the agents' team can act on escalations." };
    }
    return { allowed: true, agent: { id: from.id, name: from.name || 'An agent', aadObjectId: from.aadObjectId } };
  }

  /** A supervisor (SUPERVISORS, by Entra object id) of the support organisation: acts on every queue's escalations. */
  async checkSupervisor(activity: ActorActivity, supervisors: string[]): Promise<Access> {
    const from = activity.from;
    const aad = from?.aadObjectId?.toLowerCase();
    if (!from?.id || !aad || !supervisors.includes(aad)) return { allowed: false, reason: 'Only supervisors can do this.' };
    const tenant = activity.channelData?.tenant?.id ?? activity.conversation?.tenantId;
    const requiredTenant = this.requiredTenantId ?? (await this.channels.current())?.tenantId;
    if (requiredTenant && tenant !== requiredTenant) return { allowed: false, reason: 'Only the support organisation can act on escalations.' };
    return { allowed: true, agent: { id: from.id, name: from.name || 'A supervisor', aadObjectId: from.aadObjectId } };
  }

  private async isMember(serviceUrl: string, teamId: string, userId: string): Promise<boolean> {
    return (await this.roster.member(serviceUrl, teamId, userId)) !== undefined;
  }
}
