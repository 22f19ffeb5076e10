/** What happens to an attachment: passed on, refused for what it is, or (storage or network down) the request retried. */
import { strict as assert } from 'node:assert';
import { StoreUnavailableError } from '../../src/core/errors';
import { ImageIntake } from '../../src/files/imageIntake';
import type { FileStore, StoredFile } from '../../src/files/ports';
import { silent } from '../helpers/fixtures';
import { gradientPng } from '../helpers/pngImage';

const PNG = gradientPng(8, 8);
const image = [{ contentType: 'image/png', contentUrl: 'https://smba.trafficmanager.net/amer/v3/attachments/1', name: 'photo.png' }];

function store(put: (id: string, f: StoredFile) => Promise<void>): FileStore {
  return { put, get: async () => undefined };
}

describe('image intake', () => {
  it('a stored image is passed on; a non-image is refused (the sender is told), not an error', async () => {
    const kept: string[] = [];
    const intake = new ImageIntake(store(async (id) => void kept.push(id)), 1 << 20, silent);
    const ok = await intake.take(image, async () => PNG, { activityId: 'c|a1' });
    assert.deepEqual([ok.files.length, ok.refused, kept.length], [1, [], 1]);
    const refused = await intake.take(image, async () => Buffer.from('%PDF-1.7'), { activityId: 'c|a2' });
    assert.deepEqual([refused.files, refused.refused], [[], ['photo.png']]);
  });

  it('storage that fails, or a download that does not answer, is no refusal: 503, so the sender retries', async () => {
    const blobDown = new ImageIntake(store(async () => Promise.reject(Object.assign(new Error('503 ServerBusy'), { statusCode: 503 }))), 1 << 20, silent);
    await assert.rejects(blobDown.take(image, async () => PNG, { activityId: 'c|a3' }), (err: unknown) => err instanceof StoreUnavailableError && err.reason === 'the attached image could not be stored now; retry later');
    const intake = new ImageIntake(store(async () => undefined), 1 << 20, silent);
    await assert.rejects(intake.take(image, async () => Promise.reject(new TypeError('fetch failed')), { activityId: 'c|a4' }), StoreUnavailableError);
  });
});
