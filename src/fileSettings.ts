/** Where images are stored and how links to them are signed (FILE_LINK_SECRET), checked together. */
import { randomBytes } from 'node:crypto';
import type { RawSettings } from './config';

export interface FileSettings {
  /** Blob Storage: an endpoint reached with the managed identity, or a connection string; neither = embedded Azurite. */
  blobEndpoint?: string;
  connectionString?: string;
  container: string;
  /** The HMAC key of file links; made up per process in local mode when not set (links then die with the process). */
  linkSecret: string;
  linkSecretGenerated: boolean;
  linkMinutes: number;
  maxImageBytes: number;
}

export function fileSettingsOf(v: RawSettings, mode: { production: boolean; localMode: boolean }, problems: string[]): FileSettings {
  if (v.BLOB_ENDPOINT && v.BLOB_CONNECTION_STRING) problems.push('BLOB_CONNECTION_STRING: set it or BLOB_ENDPOINT (managed identity), not both');
  if (mode.production && !v.BLOB_ENDPOINT && !v.BLOB_CONNECTION_STRING) {
    problems.push('BLOB_ENDPOINT: required in production (or BLOB_CONNECTION_STRING); the embedded Azurite is for local runs');
  }
  if (!mode.localMode && !v.FILE_LINK_SECRET) {
    problems.push('FILE_LINK_SECRET: required outside local mode (signs the links to stored images; the same on every instance)');
  }
  return {
    blobEndpoint: v.BLOB_ENDPOINT,
    connectionString: v.BLOB_CONNECTION_STRING,
    container: v.BLOB_CONTAINER,
    linkSecret: v.FILE_LINK_SECRET ?? randomBytes(32).toString('base64url'),
    linkSecretGenerated: !v.FILE_LINK_SECRET,
    linkMinutes: v.FILE_LINK_MINUTES,
    maxImageBytes: v.MAX_IMAGE_BYTES,
  };
}
