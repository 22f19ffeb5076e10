/**
 * Where the agent console posts: the team, channel, tenant and service URL. Settings win; otherwise what was
 * recorded in Teams (the bot's installation in a team, and "use this channel" typed in a channel).
 */
import { DEFAULT_QUEUE } from '../core/escalation';
import type { SettingsStore } from '../core/ports';

/** A named queue as configured (AGENT_QUEUES): its channel, or none yet (chosen in Teams). */
export interface QueueChannelSetting {
  name: string;
  teamId?: string;
  channelId?: string;
  tenantId?: string;
  serviceUrl?: string;
}

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
const queueKey = (name: string) => `console.queueChannel.${name}`;

export class AgentChannelRegistry {
  /** The chosen channel as last read: no settings read on every agent line. */
  private cached?: { channel: AgentChannel | undefined; until: number };
  private readonly chosenForQueue = new Map<string, { channel: AgentChannel; until: number }>();

  constructor(
    private readonly settings: SettingsStore,
    private readonly configured: Partial<AgentChannel>,
    private readonly now: () => number = Date.now,
    private readonly queues: QueueChannelSetting[] = [],
  ) {}

  /** The queues there are: `default` and the configured ones. */
  queueNames(): string[] {
    return [DEFAULT_QUEUE, ...this.queues.map((q) => q.name)];
  }

  /** The channel that serves a queue (an unknown one: the default queue's), or undefined while none is set. */
  async forQueue(name: string): Promise<AgentChannel | undefined> {
    const q = this.queues.find((x) => x.name === name);
    if (!q) return this.current();
    if (q.teamId && q.channelId) {
      const serviceUrl = q.serviceUrl ?? this.configured.serviceUrl ?? (await this.installation(q.teamId))?.serviceUrl ?? (await this.current())?.serviceUrl;
      if (serviceUrl) return { teamId: q.teamId, channelId: q.channelId, tenantId: q.tenantId ?? this.configured.tenantId, serviceUrl };
    }
    const known = this.chosenForQueue.get(name);
    if (known && known.until > this.now()) return known.channel;
    const stored = await this.settings.get<AgentChannel>(queueKey(name));
    // Chosen before an admin set the queue's team: not that team's channel, so no longer the queue's.
    const chosen = stored && (!q.teamId || stored.teamId === q.teamId) ? stored : undefined;
    if (chosen) this.chosenForQueue.set(name, { channel: chosen, until: this.now() + CHOSEN_TTL_MS });
    return chosen;
  }

  /**
   * "use this channel for <queue>": only for a configured queue whose channel the settings do not fix, and never away
   * from the team whose channel serves it now (anyone in the tenant could otherwise take a queue's chats to theirs).
   */
  async chooseForQueue(name: string, channel: AgentChannel): Promise<'chosen' | 'unknown' | 'fixed' | 'otherTeam'> {
    if (name === DEFAULT_QUEUE) {
      const current = await this.current();
      if (current && current.teamId !== channel.teamId) return 'otherTeam';
      return (await this.choose(channel), 'chosen');
    }
    const q = this.queues.find((x) => x.name === name);
    if (!q) return 'unknown';
    if (q.channelId) return 'fixed';
    if (q.teamId && q.teamId !== channel.teamId) return 'fixed';
    // A team set in AGENT_QUEUES decides which team may choose (above); otherwise the team serving it now does.
    const serving = q.teamId ? undefined : await this.settings.get<AgentChannel>(queueKey(name));
    if (serving && serving.teamId !== channel.teamId) return 'otherTeam';
    await this.settings.put(queueKey(name), channel);
    this.chosenForQueue.set(name, { channel, until: this.now() + CHOSEN_TTL_MS });
    return 'chosen';
  }

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
