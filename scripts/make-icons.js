// Draws the app icons (color 192x192, transparent outline 32x32) as PNGs with no image library: a speech bubble
// handing over to a person. Run once; the PNGs are committed.
const { writeFileSync } = require('node:fs');
const { deflateSync } = require('node:zlib');
const { join } = require('node:path');

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const inBubble = (u, v) => (((u - 0.42) / 0.3) ** 2 + ((v - 0.4) / 0.22) ** 2 <= 1) || (u > 0.25 && u < 0.4 && v > 0.55 && v < 0.72 && u - 0.25 > (v - 0.55) * 0.9);
const inHead = (u, v) => (u - 0.72) ** 2 + (v - 0.62) ** 2 <= 0.075 ** 2;
const inBody = (u, v) => v > 0.72 && v < 0.86 && Math.abs(u - 0.72) < 0.14 - (0.86 - v) * 0.3;

const dir = join(__dirname, '..', 'appPackage');
writeFileSync(join(dir, 'color.png'), png(192, (u, v) => (inBubble(u, v) || inHead(u, v) || inBody(u, v) ? [255, 255, 255, 255] : [63, 81, 181, 255])));
writeFileSync(join(dir, 'outline.png'), png(32, (u, v) => (inBubble(u, v) || inHead(u, v) || inBody(u, v) ? [255, 255, 255, 255] : [0, 0, 0, 0])));
console.log('wrote appPackage/color.png and appPackage/outline.png');
