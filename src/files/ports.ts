/** Where files (images only, for now) are kept: Blob Storage in Azure, Azurite locally and in tests. */
export interface StoredFile {
  bytes: Buffer;
  contentType: string;
}

export interface FileStore {
  /** Stores the bytes under `id` (ids are random: a second put of the same id does not happen). */
  put(id: string, file: StoredFile): Promise<void>;
  /** The file, or undefined when there is none (expired by the retention policy, or never stored). */
  get(id: string): Promise<StoredFile | undefined>;
  close?(): Promise<void>;
}
