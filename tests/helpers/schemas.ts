/**
 * The official JSON schemas the manifests are validated against. The project's reference copies are in
 * `../shared/schemas/`; `tests/schemas/` holds the same files so the suite runs in a clone with nothing beside it
 * (a test checks that the two agree wherever both exist).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
export const SHARED_SCHEMAS = join(root, '..', 'shared', 'schemas');
export const VENDORED_SCHEMAS = join(root, 'tests', 'schemas');

export function readSchema(file: string): Record<string, unknown> {
  const shared = join(SHARED_SCHEMAS, file);
  return JSON.parse(readFileSync(existsSync(shared) ? shared : join(VENDORED_SCHEMAS, file), 'utf8'));
}
