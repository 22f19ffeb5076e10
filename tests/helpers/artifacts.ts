/**
 * Where tests write pictures: an ignored folder, so a test run never rewrites tracked files. `npm run docs:images`
 * sets DOCS_IMAGES=1 to refresh the copies the README shows under docs/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** The folder for `kind` (e.g. 'cards'), created on first use. */
export function artifactDir(kind: string): string {
  const dir = process.env.DOCS_IMAGES === '1' ? join(ROOT, 'docs', kind) : join(ROOT, '.artifacts', kind);
  mkdirSync(dir, { recursive: true });
  return dir;
}
