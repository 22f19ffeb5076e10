import { strict as assert } from 'node:assert';
import { fileLinkSigner } from '../../src/files/fileLinks';

describe('file links (HMAC-signed, expiring)', () => {
  const t0 = Date.parse('2026-12-01T10:00:00Z');
  const signer = fileLinkSigner('a-secret-of-at-least-32-characters!!', 60, () => 'https://desk.example.com/');
  const parts = (url: string) => {
    const u = new URL(url);
    return { id: decodeURIComponent(u.pathname.split('/').pop()!), exp: u.searchParams.get('exp') ?? undefined, sig: u.searchParams.get('sig') ?? undefined };
  };

  it('a link opens its own file until it expires, and no other', () => {
    const url = signer.url('file-1', t0);
    assert.match(url, /^https:\/\/desk\.example\.com\/files\/file-1\?exp=\d+&sig=[A-Za-z0-9_-]{43}$/);
    const { id, exp, sig } = parts(url);
    assert.equal(signer.verify(id, exp, sig, t0), true);
    assert.equal(signer.verify(id, exp, sig, t0 + 59 * 60_000), true);
    assert.equal(signer.verify(id, exp, sig, t0 + 60 * 60_000), false, 'expired');
    assert.equal(signer.verify('file-2', exp, sig, t0), false, 'another file');
    assert.equal(signer.verify(id, String(Number(exp) + 60), sig, t0), false, 'a longer expiry');
  });

  it('refuses missing, malformed and foreign signatures', () => {
    const { id, exp, sig } = parts(signer.url('file-1', t0));
    const other = fileLinkSigner('another-secret-of-at-least-32-chars!!', 60, () => 'https://x');
    assert.equal(signer.verify(id, exp, parts(other.url('file-1', t0)).sig, t0), false);
    for (const [e, s] of [[undefined, sig], [exp, undefined], ['12a', sig], [exp, `${sig}A`], [exp, sig!.slice(1)]]) assert.equal(signer.verify(id, e, s, t0), false);
  });
});
