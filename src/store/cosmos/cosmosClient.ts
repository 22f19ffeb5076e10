/**
 * Builds the CosmosClient: a real account (key or managed identity), or the embedded Cosmos-compatible server
 * when COSMOS_ENDPOINT is not set. The embedded server's self-signed certificate is trusted for this client only.
 */
import { Agent } from 'node:https';
import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import type { Logger } from '../../core/logger';
import { startEmbeddedCosmos, type EmbeddedCosmos } from './embeddedCosmos';

export interface CosmosConnection {
  client: CosmosClient;
  /** Stops the embedded server, if one was started. */
  close(): Promise<void>;
  embedded: boolean;
}

export interface CosmosSettings {
  endpoint?: string;
  key?: string;
  managedIdentity: boolean;
  /** PEM of a certificate to trust for this client only (a Cosmos-compatible server run as a separate process). */
  caPem?: string;
}

const retryOptions: CosmosClientOptions['connectionPolicy'] = {
  // Throttling (429) is retried by the SDK within these bounds; the rest surfaces as StoreUnavailableError → 503.
  retryOptions: { maxRetryAttemptCount: 9, fixedRetryIntervalInMilliseconds: 0, maxWaitTimeInSeconds: 30 },
  requestTimeout: 10_000,
  enableEndpointDiscovery: false,
};

export async function connectCosmos(settings: CosmosSettings, log: Logger): Promise<CosmosConnection> {
  if (settings.endpoint) {
    const options: CosmosClientOptions = { endpoint: settings.endpoint, connectionPolicy: retryOptions };
    if (settings.caPem) options.agent = new Agent({ ca: settings.caPem, keepAlive: true });
    if (settings.managedIdentity) {
      const { DefaultAzureCredential } = await import('@azure/identity');
      options.aadCredentials = new DefaultAzureCredential();
    } else {
      options.key = settings.key;
    }
    log.info({ endpoint: settings.endpoint, managedIdentity: settings.managedIdentity }, 'using Cosmos DB');
    return { client: new CosmosClient(options), close: async () => undefined, embedded: false };
  }
  const embedded: EmbeddedCosmos = await startEmbeddedCosmos();
  log.warn({ endpoint: embedded.endpoint }, 'COSMOS_ENDPOINT not set: using the embedded Cosmos-compatible server (data is lost on exit)');
  const client = new CosmosClient({
    endpoint: embedded.endpoint,
    key: 'embedded-server-accepts-any-key',
    agent: new Agent({ ca: embedded.caPem, keepAlive: true }),
    connectionPolicy: retryOptions,
  });
  return { client, close: embedded.close, embedded: true };
}
