/**
 * What production refuses of the local and test stand-ins: loopback or plain-http endpoints (the emulators, the
 * tests' token issuers), the embedded Cosmos server's CA file, Azurite's connection string. A typo that points the
 * service at one of them must stop it at start-up, not send secrets over http or keep state on a laptop's emulator.
 */
import type { RawSettings } from './config';
import { isLoopback } from './outbound/serviceUrlPolicy';


function publicHttps(name: string, value: string | undefined, problems: string[]): void {
  if (!value) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return; // refused as a URL already
  }
  if (url.protocol !== 'https:') problems.push(`${name}: must be https in production`);
  else if (isLoopback(url.hostname)) problems.push(`${name}: must not be a loopback address in production (local emulators and test stand-ins only)`);
}

export function productionProblems(v: RawSettings, problems: string[]): void {
  const urls: Array<[string, string | undefined]> = [
    ['COSMOS_ENDPOINT', v.COSMOS_ENDPOINT],
    ['BLOB_ENDPOINT', v.BLOB_ENDPOINT],
    ['PUBLIC_BASE_URL', v.PUBLIC_BASE_URL],
    ['ENTRA_AUTHORITY', v.ENTRA_AUTHORITY],
    ['BOTFRAMEWORK_OPENID_METADATA_URL', v.BOTFRAMEWORK_OPENID_METADATA_URL],
    ['TEAMS_SERVICE_URL_BASE', v.TEAMS_SERVICE_URL_BASE],
    ['AGENT_SERVICE_URL', v.AGENT_SERVICE_URL],
    ['LIVECHAT_BASE_URL', v.LIVECHAT_BASE_URL],
  ];
  for (const [name, value] of urls) publicHttps(name, value, problems);
  if (v.COSMOS_CA_FILE) problems.push('COSMOS_CA_FILE: not in production (it trusts the embedded Cosmos-compatible server of tests and the benchmark)');
  const blob = v.BLOB_CONNECTION_STRING;
  if (blob) {
    const endpoint = /BlobEndpoint=([^;]+)/i.exec(blob)?.[1];
    const local = /UseDevelopmentStorage=true/i.test(blob) || /AccountName=devstoreaccount1/i.test(blob) || /DefaultEndpointsProtocol=http(;|$)/i.test(blob);
    if (local) problems.push('BLOB_CONNECTION_STRING: Azurite\'s development account or plain http is not for production');
    else if (endpoint) publicHttps('BLOB_CONNECTION_STRING (BlobEndpoint)', endpoint, problems);
  }
}
