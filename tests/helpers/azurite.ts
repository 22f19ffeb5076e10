/** One Azurite (the official Storage emulator, in memory) for the whole test run, started on first use. */
import { startEmbeddedAzurite, type EmbeddedAzurite } from '../../src/store/blob/embeddedAzurite';

let shared: Promise<EmbeddedAzurite> | undefined;

export async function sharedBlobConnectionString(): Promise<string> {
  shared ??= startEmbeddedAzurite();
  return (await shared).connectionString;
}

/** A signing key for file links in tests (the service requires one outside local mode). */
export const TEST_FILE_LINK_SECRET = 'test-only-file-link-secret-0123456789abcdef';
