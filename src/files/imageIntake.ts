/**
 * Takes in the files attached to a line, from either side: each image is downloaded (with the sender's bot token),
 * checked by its bytes and size, and stored; anything else is refused, so its sender can be told. A line's text is
 * relayed whatever happens to its files.
 */
import { hash, randomUUID } from 'node:crypto';
import { FileRefusedError, StoreUnavailableError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { FileRef } from '../core/transcript';
import { hostOf } from '../outbound/serviceUrlPolicy';
import { imageName, imageTypeOf } from './imageType';
import type { FileStore } from './ports';

/** An attachment as Teams and Copilot Studio send it. */
export interface IncomingAttachment {
  contentType?: string;
  contentUrl?: string;
  name?: string;
}

export interface Intake {
  files: FileRef[];
  /** Names of the files not passed on (what the sender is told about). */
  refused: string[];
}

/** Fetches an attachment's bytes with the right token, reading at most `maxBytes`. */
export type Download = (url: string, maxBytes: number) => Promise<Buffer>;

/** Where the line came from: its conversation and activity id (file ids derive from it: a retried line stores nothing new). */
export interface Source {
  activityId?: string;
}

/** Teams' own rendering of the message and cards are not files. */
const NOT_FILES = [/^text\/html$/i, /^application\/vnd\.microsoft\.card\./i];
const TEAMS_FILE = 'application/vnd.microsoft.teams.file.download.info';
const MAX_FILES_PER_LINE = 10;

export class ImageIntake {
  constructor(
    private readonly store: FileStore,
    private readonly maxBytes: number,
    private readonly log: Logger,
    private readonly newId: () => string = randomUUID,
  ) {}

  async take(attachments: unknown, download: Download, source: Source = {}): Promise<Intake> {
    const intake: Intake = { files: [], refused: [] };
    for (const [index, a] of candidates(attachments).entries()) {
      const name = a.name?.trim() || 'a file';
      if (intake.files.length + intake.refused.length >= MAX_FILES_PER_LINE) {
        intake.refused.push(name);
        continue;
      }
      try {
        const id = source.activityId ? hash('sha256', `${source.activityId}|${index}`, 'hex').slice(0, 40) : this.newId();
        intake.files.push(await this.takeOne(a, download, id));
      } catch (err) {
        // Refused for what it is, or where it is (a host off the allow-list: an error no retry changes).
        if (err instanceof FileRefusedError || (err as { retryable?: unknown }).retryable === false) {
          intake.refused.push(name);
          continue;
        }
        // Not the file's fault (storage or the network failed): not "refused", and not accepted without it either.
        // The request is answered 503, so its sender retries; the ids derive from the activity, so nothing is kept twice.
        this.log.warn({ err: (err as Error).message, contentType: a.contentType, host: hostOf(a.contentUrl) ?? 'not a URL' }, 'an attachment could not be taken in now');
        throw new StoreUnavailableError(`an attachment could not be taken in: ${(err as Error).message}`.slice(0, 300), err, 'the attached image could not be stored now; retry later');
      }
    }
    return intake;
  }

  private async takeOne(a: IncomingAttachment, download: Download, id: string): Promise<FileRef> {
    // A declared non-image (a PDF, a Teams file card) is refused without downloading it.
    if (!a.contentUrl || !/^image\//i.test(a.contentType ?? '')) throw new FileRefusedError('only images are passed on');
    const bytes = await download(a.contentUrl, this.maxBytes);
    const type = imageTypeOf(bytes);
    if (!type) throw new FileRefusedError('not a PNG, JPEG, GIF or WebP image');
    await this.store.put(id, { bytes, contentType: type });
    return { id, contentType: type, name: imageName(a.name, type), bytes: bytes.length };
  }
}

function candidates(attachments: unknown): IncomingAttachment[] {
  if (!Array.isArray(attachments)) return [];
  return attachments
    .filter((a): a is Record<string, unknown> => !!a && typeof a === 'object')
    .map((a) => ({
      contentType: typeof a.contentType === 'string' ? a.contentType : undefined,
      contentUrl: typeof a.contentUrl === 'string' ? a.contentUrl : undefined,
      name: typeof a.name === 'string' ? a.name : undefined,
    }))
    .filter((a) => !NOT_FILES.some((re) => re.test(a.contentType ?? '')) && (a.contentUrl !== undefined || a.contentType === TEAMS_FILE));
}
