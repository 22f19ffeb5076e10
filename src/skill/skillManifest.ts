/** Serves skill-manifest.json with this deployment's endpoint URL and skill app id filled in. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ZERO_APP_ID = '00000000-0000-0000-0000-000000000000';

export function loadSkillManifest(root: string, endpointUrl: string, appId: string | undefined): unknown {
  const manifest = JSON.parse(readFileSync(join(root, 'skill-manifest.json'), 'utf8')) as {
    endpoints: Array<{ endpointUrl: string; msAppId: string }>;
  };
  for (const endpoint of manifest.endpoints) {
    endpoint.endpointUrl = endpointUrl;
    endpoint.msAppId = appId ?? ZERO_APP_ID;
  }
  return manifest;
}
