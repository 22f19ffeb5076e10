/**
 * Who is in a team, as Teams says: one place that asks the Bot Connector for a team member (by Teams user id, Entra
 * object id or UPN) and remembers the answers for a few minutes, for access checks, mentions, transfer targets and
 * supervisors' views alike. Only people found are remembered: someone just added is found on the next ask.
 */
import { BoundedCache } from '../core/boundedCache';
import type { Connector } from '../outbound/connector';

export interface TeamMember {
  id: string;
  name: string;
}

const ROSTER_CACHE_SIZE = 2_000;
const ROSTER_TTL_MS = 5 * 60_000;

export class TeamRoster {
  private readonly known = new BoundedCache<TeamMember & { until: number }>(ROSTER_CACHE_SIZE);

  constructor(
    private readonly connector: Connector,
    private readonly now: () => number = Date.now,
  ) {}

  /** The member with their Teams id and display name, or undefined when the team does not have them. */
  async member(serviceUrl: string, teamId: string, who: string): Promise<TeamMember | undefined> {
    const key = `${teamId}|${who.toLowerCase()}`;
    const cached = this.known.get(key);
    if (cached && cached.until > this.now()) return { id: cached.id, name: cached.name };
    const m = await this.connector.getMember(serviceUrl, teamId, who);
    if (!m) return undefined;
    const found = { id: m.id, name: m.name ?? who };
    this.known.set(key, { ...found, until: this.now() + ROSTER_TTL_MS });
    return found;
  }

  /** One roster page (the transfer typeahead). */
  list(serviceUrl: string, teamId: string): ReturnType<Connector['listMembers']> {
    return this.connector.listMembers(serviceUrl, teamId);
  }
}
