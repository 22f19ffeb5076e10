/**
 * The privacy and terms pages that the Teams app manifest links to (`<PUBLIC_BASE_URL>/privacy`, `/terms`). They
 * say what this deployment keeps and for how long; an organisation with its own pages links those in the manifest.
 * Fixed text only: nothing a user sent is ever put on them.
 */
export type PolicyPage = 'privacy' | 'terms';

export function policyPage(page: PolicyPage, retentionDays: number): string {
  const title = page === 'privacy' ? 'Privacy' : 'Terms of use';
  const body =
    page === 'privacy'
      ? [
          'This live-agent handover service is operated by your organisation inside its own Azure subscription.',
          'When you ask the virtual agent for a person, it stores the conversation (your name, your Teams chat reference, your problem description, the handoff context the virtual agent passed on, and every message exchanged with the support agents) in your organisation\'s Azure Cosmos DB.',
          `A closed conversation is deleted automatically ${retentionDays} days after it ends.`,
          'Support agents of your organisation see these messages in their Teams channel. Nothing is shared with anyone else.',
        ]
      : [
          'This service connects you with your organisation\'s support agents in Microsoft Teams.',
          'Use it for support requests only. Messages are stored as described on the privacy page and are visible to the support team.',
          'Your organisation\'s own terms for Microsoft Teams and its internal tools apply.',
        ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;line-height:1.5"><h1>${title}</h1>${body.map((p) => `<p>${p}</p>`).join('')}</body></html>`;
}
