import { strict as assert } from 'node:assert';
import { notices } from '../../src/core/notices';

describe('notices', () => {
  it('when agents are back is said in the notices\' own language, in the office\'s time zone, whatever the customer\'s locale', () => {
    for (const locale of ['de-DE', 'ja-JP', undefined, 'not a tag']) {
      const text = notices.inLine({ position: 2, opensAt: '2026-11-30T07:00:00Z', timeZone: 'Europe/Berlin' }, locale);
      assert.match(text, /back Monday, 08:00 AM GMT\+1; your chat keeps its place/, String(locale));
    }
  });
});
