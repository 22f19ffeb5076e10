/**
 * Where the agent console posts: the team, channel, tenant and service URL. Settings win; otherwise what was
 * recorded in Teams (the bot's installation in a team, and "use this channel" typed in a channel).
 */
import type { SettingsStore } from '../core/ports';

export interface AgentChannel {
  teamId: string;
  channelId: string;
  tenantId?: string;
  serviceUrl: string;
}

/** What Teams told us when the console was installed in a team. */
export interface TeamInstallation {
  teamId: string;
  teamName?: string;
  tenantId?: string;
  serviceUrl: string;
  installedAt: string;
}

const CHANNEL_KEY = 'console.agentChannel';
const teamKey = (teamId: string) => `console.team.${teamId}`;

export class AgentChannelRegistry {
  constructor(
    private readonly settings: SettingsStore,
    private readonly configured: Partial<AgentChannel>,
  ) {}

  /** The channel to use, or undefined while none is configured or chosen. */
  async current(): Promise<AgentChannel | undefined> {
    const c = this.configured;
    if (c.teamId && c.channelId && c.serviceUrl) return { teamId: c.teamId, channelId: c.channelId, tenantId: c.tenantId, serviceUrl: c.serviceUrl };
    const chosen = await this.settings.get<AgentChannel>(CHANNEL_KEY);
    if (!chosen) return undefined;
    return { ...chosen, ...definedOnly(c) } as AgentChannel;
  }

  async choose(channel: AgentChannel): Promise<void> {
    await this.settings.put(CHANNEL_KEY, channel);
  }

  async recordInstallation(team: TeamInstallation): Promise<void> {
    await this.settings.put(teamKey(team.teamId), team);
  }

  async installation(teamId: string): Promise<TeamInstallation | undefined> {
    return this.settings.get<TeamInstallation>(teamKey(teamId));
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
