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
/** How long a channel chosen in Teams is remembered before the store is asked again (another instance may change it). */
const CHOSEN_TTL_MS = 30_000;
const teamKey = (teamId: string) => `console.team.${teamId}`;

export class AgentChannelRegistry {
  /** The chosen channel as last read: no settings read on every agent line. */
  private cached?: { channel: AgentChannel | undefined; until: number };

  constructor(
    private readonly settings: SettingsStore,
    private readonly configured: Partial<AgentChannel>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The channel to use, or undefined while none is configured or chosen. */
  async current(): Promise<AgentChannel | undefined> {
    const c = this.configured;
    if (c.teamId && c.channelId && c.serviceUrl) return { teamId: c.teamId, channelId: c.channelId, tenantId: c.tenantId, serviceUrl: c.serviceUrl };
    // Only a found channel is remembered: until one is chosen, every look asks the store.
    if (!this.cached?.channel || this.cached.until <= this.now()) {
      this.cached = { channel: await this.settings.get<AgentChannel>(CHANNEL_KEY), until: this.now() + CHOSEN_TTL_MS };
    }
    const chosen = this.cached.channel;
    if (!chosen) return undefined;
    return { ...chosen, ...definedOnly(c) } as AgentChannel;
  }

  async choose(channel: AgentChannel): Promise<void> {
    await this.settings.put(CHANNEL_KEY, channel);
    this.cached = { channel, until: this.now() + CHOSEN_TTL_MS };
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
