/**
 * Who a desk notice @mentions. The core names them; the desk turns them into its own mention markup (Teams: an
 * `<at>` tag in the text and a mention entity), resolving a person's display name from the team's roster.
 */
export type MentionTarget =
  /** A person by Entra object id or UPN, as configured: the desk finds their name in the team. */
  | { kind: 'person'; id: string }
  /** Someone the service already knows by the desk's own user id (an escalation's owner). */
  | { kind: 'agent'; id: string; name: string }
  /** A Teams tag of the team. */
  | { kind: 'tag'; id: string; name: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/** Parses `SLA_NOTIFY` / `SLA_LEADS`: comma-separated object ids, UPNs and `tag:<tagId>:<tag name>`. */
export function parseMentionList(text: string): { targets: MentionTarget[]; problems: string[] } {
  const targets: MentionTarget[] = [];
  const problems: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const tag = /^tag:([^:]+):(.+)$/.exec(raw);
    if (tag) targets.push({ kind: 'tag', id: tag[1].trim(), name: tag[2].trim() });
    else if (GUID.test(raw) || UPN.test(raw)) targets.push({ kind: 'person', id: raw });
    else problems.push(`"${raw}" is neither an Entra object id, a UPN nor tag:<tagId>:<tag name>`);
  }
  return { targets, problems };
}
