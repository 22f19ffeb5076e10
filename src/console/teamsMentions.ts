/**
 * Mentions as Teams wants them: `<at>Name</at>` in the text and one `mention` entity per name. A configured person
 * (Entra object id or UPN) is looked up in the team's roster for their Teams id and display name; a tag is mentioned
 * by its tag id. Someone the roster does not know is left out (and logged), never mentioned by a raw id.
 */
import type { Logger } from '../core/logger';
import type { MentionTarget } from '../core/mentions';
import type { TeamRoster } from './teamRoster';

export interface TeamsMention {
  type: 'mention';
  text: string;
  mentioned: { id: string; name: string; type?: 'tag' };
}

/** Names go inside `<at>` markup: no markup of theirs may open or close a tag. */
const safeName = (name: string) => name.replace(/[<>&]/g, '').trim() || 'someone';

export class TeamsMentions {
  constructor(
    private readonly roster: TeamRoster,
    private readonly log: Logger,
  ) {}

  /** The `<at>` prefix for the text and the entities, for the targets found. */
  async render(targets: MentionTarget[], serviceUrl: string, teamId: string | undefined): Promise<{ prefix: string; entities: TeamsMention[] }> {
    const entities: TeamsMention[] = [];
    for (const t of targets) {
      if (t.kind === 'tag') entities.push(mention(t.id, t.name, 'tag'));
      else if (t.kind === 'agent') entities.push(mention(t.id, t.name));
      else {
        const member = teamId ? await this.roster.member(serviceUrl, teamId, t.id) : undefined;
        if (member) entities.push(mention(member.id, member.name));
        else this.log.warn({ person: t.id }, 'SLA mention: not found in the team roster, left out');
      }
    }
    return { prefix: entities.map((e) => e.text).join(' '), entities };
  }

  /** The Teams user ids of people given by Entra object id or UPN (those the roster knows). */
  async memberIds(people: string[], serviceUrl: string, teamId: string): Promise<string[]> {
    const found = await Promise.all(people.map((p) => this.roster.member(serviceUrl, teamId, p).catch(() => undefined)));
    return found.filter((m) => m !== undefined).map((m) => m.id);
  }
}

function mention(id: string, name: string, type?: 'tag'): TeamsMention {
  const text = `<at>${safeName(name)}</at>`;
  return { type: 'mention', text, mentioned: { id, name: safeName(name), ...(type ? { type } : {}) } };
}
