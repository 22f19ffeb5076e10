/**
 * `GET /files/<id>?exp=…&sig=…`: a stored image, for whoever holds an unexpired link we signed. Every refusal is the
 * same 403 with the same body, so a caller learns nothing about which files exist or what was wrong.
 */
import type { Request, Response } from 'restify';
import type { FileLinkSigner } from '../files/fileLinks';
import type { FileStore } from '../files/ports';

const FORBIDDEN = { error: 'forbidden', reason: 'this link is not valid (it may have expired)' };

export function fileRoute(files: FileStore, links: FileLinkSigner, now: () => number) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = String((req.params as { id?: string }).id ?? '');
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    if (!links.verify(id, query.get('exp') ?? undefined, query.get('sig') ?? undefined, now())) return void res.send(403, FORBIDDEN);
    const file = await files.get(id);
    if (!file) return void res.send(404, { error: 'not_found', reason: 'the file is no longer kept' });
    const left = Math.max(0, Number(query.get('exp')) - Math.floor(now() / 1000));
    res.writeHead(200, {
      'content-type': file.contentType,
      'content-length': file.bytes.length,
      // The type was checked by the bytes; nothing else may be read into it.
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
      'content-disposition': 'inline',
      'cache-control': `private, max-age=${Math.min(left, 3600)}`,
    });
    res.end(file.bytes);
  };
}
