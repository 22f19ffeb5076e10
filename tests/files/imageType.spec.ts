import { strict as assert } from 'node:assert';
import { imageName, imageTypeOf } from '../../src/files/imageType';

describe('imageTypeOf (by the bytes, never the name)', () => {
  const bytes = (...parts: Array<number[] | string>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

  it('knows PNG, JPEG, GIF and WebP', () => {
    assert.equal(imageTypeOf(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'rest')), 'image/png');
    assert.equal(imageTypeOf(bytes([0xff, 0xd8, 0xff, 0xdb], 'rest')), 'image/jpeg');
    assert.equal(imageTypeOf(bytes('GIF89a', 'rest')), 'image/gif');
    assert.equal(imageTypeOf(bytes('GIF87a')), 'image/gif');
    assert.equal(imageTypeOf(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')), 'image/webp');
  });

  it('refuses everything else, near misses included', () => {
    for (const b of [bytes('%PDF-1.7'), bytes('<svg xmlns="http://www.w3.org/2000/svg">'), bytes('RIFF', [1, 2, 3, 4], 'WAVE'), bytes([0x89, 0x50, 0x4e, 0x47]), bytes('GIF88a'), bytes('BM'), Buffer.alloc(0)]) {
      assert.equal(imageTypeOf(b), undefined, b.toString('latin1'));
    }
  });

  it('names an image by its own name, cleaned, or by its type', () => {
    assert.equal(imageName('screen shot.png', 'image/png'), 'screen shot.png');
    assert.equal(imageName('../../etc/passwd\u0000', 'image/png'), '....etcpasswd');
    assert.equal(imageName(undefined, 'image/jpeg'), 'image.jpg');
    assert.equal(imageName('  ', 'image/webp'), 'image.webp');
  });
});
