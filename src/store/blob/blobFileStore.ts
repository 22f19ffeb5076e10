/**
 * Files in Azure Blob Storage through @azure/storage-blob: one container, one blob per file, its verified content
 * type kept as the blob's. Reached with the managed identity (BLOB_ENDPOINT) or a connection string (Azurite's
 * locally). The retention policy on the account (infra/azure.bicep) deletes files with their escalations.
 */
import type { Readable } from 'node:stream';
import { BlobServiceClient, RestError, type ContainerClient } from '@azure/storage-blob';
import { StoreUnavailableError } from '../../core/errors';
import type { FileStore, StoredFile } from '../../files/ports';

export interface BlobSettings {
  blobEndpoint?: string;
  connectionString?: string;
  container: string;
}

export async function connectBlobStore(settings: BlobSettings): Promise<FileStore> {
  let service: BlobServiceClient;
  if (settings.connectionString) service = BlobServiceClient.fromConnectionString(settings.connectionString);
  else if (settings.blobEndpoint) {
    const { DefaultAzureCredential } = await import('@azure/identity');
    service = new BlobServiceClient(settings.blobEndpoint, new DefaultAzureCredential());
  } else throw new Error('BLOB_ENDPOINT or BLOB_CONNECTION_STRING is required');
  const container = service.getContainerClient(settings.container);
  // Private: files are only ever read through the service's signed links.
  await container.createIfNotExists();
  return new BlobFileStore(container);
}

/** The store over a container that exists (connectBlobStore creates it). */
export class BlobFileStore implements FileStore {
  constructor(private readonly container: ContainerClient) {}

  async put(id: string, file: StoredFile): Promise<void> {
    await this.container.getBlockBlobClient(id).uploadData(file.bytes, { blobHTTPHeaders: { blobContentType: file.contentType } });
  }

  async get(id: string): Promise<StoredFile | undefined> {
    try {
      const res = await this.container.getBlockBlobClient(id).download();
      return { bytes: await readAll(res.readableStreamBody as Readable | undefined), contentType: res.contentType ?? 'application/octet-stream' };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      // Storage that does not answer is an outage the viewer may retry (503), not a bug of ours (500).
      throw new StoreUnavailableError(`the file store failed: ${(err as Error).message}`.slice(0, 300), err, 'the file could not be read now; retry later');
    }
  }
}

async function readAll(stream: Readable | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
