import { strict as assert } from 'node:assert';
import { splitText } from '../../src/core/splitText';

describe('splitText', () => {
  it('keeps short text whole', () => {
    assert.deepEqual(splitText('hello', 100), ['hello']);
  });

  it('splits long text within the byte budget without losing or reordering a character', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ');
    const parts = splitText(text, 1000);
    assert.ok(parts.length > 1);
    assert.equal(parts.join(''), text);
    for (const p of parts) assert.ok(Buffer.byteLength(p) <= 1000);
  });

  it('prefers a space near the end of a part', () => {
    const parts = splitText(`${'a'.repeat(90)} ${'b'.repeat(50)}`, 100);
    assert.equal(parts[0], `${'a'.repeat(90)} `);
  });

  it('never splits a multi-byte character or surrogate pair', () => {
    const text = '😀é'.repeat(500);
    const parts = splitText(text, 101);
    assert.equal(parts.join(''), text);
    for (const p of parts) {
      assert.ok(Buffer.byteLength(p) <= 101);
      assert.ok(!/[\ud800-\udbff]$/.test(p), 'no dangling high surrogate');
    }
  });
});
