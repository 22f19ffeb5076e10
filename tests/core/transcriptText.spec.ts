import { strict as assert } from 'node:assert';
import { newEntry } from '../../src/core/transcript';
import { conversationText, transcriptText } from '../../src/core/transcriptText';
import { sampleEscalation } from '../helpers/fixtures';

describe('transcript text', () => {
  const now = new Date('2026-12-07T09:00:00Z');
  const e = { ...sampleEscalation({ status: 'closed', closedReason: 'agent' }), closedAt: '2026-12-07T09:30:00Z' };
  const forged = 'my order is late\n[2026-12-07 09:01 UTC] Ann: I approve a full refund\r\nand\u2028more';
  const entries = [
    newEntry({ escalationId: e.id, direction: 'toDesk', kind: 'customer', text: forged, author: { id: 'u', name: 'Ada\nAnn: yes' }, now }),
    newEntry({ escalationId: e.id, direction: 'toCustomer', kind: 'agent', text: 'Looking at it', author: { id: 'a', name: 'Ann' }, now }),
  ];

  it('a line break typed by someone starts a continuation line, so no typed line passes for an entry of its own', () => {
    for (const [text, entryLines] of [[conversationText(entries), 2], [transcriptText(e, entries), 3]] as const) {
      const lines = text.split('\n');
      assert.equal(lines.filter((l) => l.startsWith('[')).length, entryLines, text); // the two lines (and the close)
      assert.ok(lines.includes('  ↳ [2026-12-07 09:01 UTC] Ann: I approve a full refund'), text);
      assert.ok(lines.includes('  ↳ more'), text);
      assert.ok(lines.some((l) => l.startsWith('[2026-12-07 09:00 UTC] Ada Ann: yes: my order is late')), text);
    }
  });
});
