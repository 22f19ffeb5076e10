import { strict as assert } from 'node:assert';
import { agentText, noteText } from '../../src/console/messageText';

describe('what an agent typed', () => {
  it('plain text is only trimmed', () => {
    assert.equal(agentText('  hello there  '), 'hello there');
    assert.equal(agentText(undefined), '');
    assert.equal(agentText(''), '');
  });

  it("Teams' markup and entities are taken off, the bot's mention with them", () => {
    assert.equal(agentText('<at>Console</at> hello'), 'hello');
    // With the bot's mentions known, only those go: a colleague named in the line keeps their name.
    assert.equal(agentText('<at>Handover</at> Please ask <at>Ann Smith</at> about invoices', ['<at>Handover</at>']), 'Please ask Ann Smith about invoices');
    assert.equal(agentText('<p>one<br/>two</p>'), 'one\ntwo');
    assert.equal(agentText('a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;&nbsp;e'), 'a <b> & "c" \'d\' e');
  });

  it('a note starts with the marker, in any case', () => {
    assert.equal(noteText('/NOTE check the order', '/note'), 'check the order');
    assert.equal(noteText('hello', '/note'), undefined);
  });
});
