import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { strict as assert } from 'node:assert';
import { ConnectorStub } from '../helpers/connectorStub';
import { newCustomer, skill } from '../helpers/activities';
import { startService, type TestService } from '../helpers/service';

describe('HTTP server', () => {
  let stub: ConnectorStub;
  let svc: TestService;

  before(async () => {
    stub = await new ConnectorStub().start();
    svc = await startService(stub, { MAX_BODY_BYTES: '4096' });
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  for (const path of ['/api/messages', '/api/console/messages']) {
    describe(path, () => {
      it('400 with a reason for malformed JSON', async () => {
        const res = await svc.post(path, '{"type": "message",');
        assert.equal(res.status, 400);
        assert.equal(res.body.error, 'bad_request');
        assert.match(res.body.reason, /JSON/);
      });

      it('400 with a reason for a missing type', async () => {
        const res = await svc.post(path, { conversation: { id: 'c' }, serviceUrl: `${stub.url}/x/` });
        assert.equal(res.status, 400);
        assert.equal(res.body.reason, 'activity.type is required');
      });

      it('400 with a reason for a missing conversation.id', async () => {
        const res = await svc.post(path, { type: 'message', conversation: {}, serviceUrl: `${stub.url}/x/` });
        assert.equal(res.status, 400);
        assert.equal(res.body.reason, 'activity.conversation.id is required');
      });

      it('400 for a JSON array instead of an activity', async () => {
        const res = await svc.post(path, '[1,2]');
        assert.equal(res.status, 400);
      });

      it('413 for a body over MAX_BODY_BYTES', async () => {
        const res = await svc.post(path, { ...skill.message(newCustomer(), 'x'.repeat(10_000)) });
        assert.equal(res.status, 413);
        assert.equal(res.body.error, 'payload_too_large');
        assert.equal(typeof res.body.reason, 'string');
      });

      it('415 for a multipart body, refused before it is read: nothing lands in the temp folder', async () => {
        const before = new Set(readdirSync(tmpdir()));
        const form = new FormData();
        form.append('file', new Blob([Buffer.alloc(1_000_000, 7)]), 'big.bin');
        const res = await fetch(`${svc.url}${path}`, { method: 'POST', body: form });
        assert.equal(res.status, 415);
        assert.equal(((await res.json()) as { error: string }).error, 'unsupported_media_type');
        assert.deepEqual(readdirSync(tmpdir()).filter((f) => !before.has(f) && f.startsWith('upload_')), []);
      });

      it('a malformed body\'s text is not repeated in the reason (nor in the log, which says the same)', async () => {
        const res = await svc.post(path, '{"text":secret customer words}'); // V8 quotes the start of such a body
        assert.equal(res.status, 400);
        assert.match(res.body.reason, /^Invalid JSON/);
        assert.doesNotMatch(res.body.reason, /secret|customer|words/);
      });

      it('415 for a body that is not JSON', async () => {
        const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
        assert.equal(res.status, 415);
      });

      it('415 for a compressed body, which would be inflated past MAX_BODY_BYTES before any check', async () => {
        // 3 KB on the wire, 40 KB inflated: under the limit as sent, ten times over it as parsed.
        const activity = { ...skill.message(newCustomer(), 'x'.repeat(40_000)), serviceUrl: `${stub.url}/x/` };
        const body = gzipSync(JSON.stringify(activity));
        assert.ok(body.length < 4096);
        const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body });
        assert.equal(res.status, 415);
        assert.match(((await res.json()) as { reason: string }).reason, /uncompressed/);
      });

      it('Content-Encoding: identity is an uncompressed body, taken as any other', async () => {
        const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' }, body: '{"conversation":{"id":"c"}}' });
        assert.equal(res.status, 400);
        assert.equal(((await res.json()) as { reason: string }).reason, 'activity.type is required');
      });

      it('400 with a reason for an activity the SDK would fail on (a from of null)', async () => {
        const res = await svc.post(path, { ...skill.message(newCustomer(), 'hi'), serviceUrl: `${stub.url}/x/`, from: null });
        assert.equal(res.status, 400);
        assert.equal(res.body.reason, 'activity.from: Expected object, received null');
      });
    });
  }

  // Declared after the routes' suites so that it runs after them (mocha runs a suite's own tests first).
  describe('after bad input', () => {
    it('stays up', async () => {
      const res = await fetch(`${svc.url}/healthz`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { status: string; sweeps: unknown };
      assert.equal(body.status, 'ok');
      assert.equal(typeof body.sweeps, 'number');
    });
  });

  it('serves the privacy and terms pages that the Teams app manifest links to', async () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'appPackage', 'manifest.json'), 'utf8'));
    const links = [manifest.developer.privacyUrl, manifest.developer.termsOfUseUrl] as string[];
    const paths = links.map((l) => l.replace('${{PUBLIC_BASE_URL}}', ''));
    assert.deepEqual(paths, ['/privacy', '/terms']);
    for (const path of paths) {
      const res = await fetch(`${svc.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const html = await res.text();
      assert.match(html, path === '/privacy' ? /deleted automatically 30 days after it ends/ : /Terms of use/);
    }
  });

  it('GET /healthz is 503 when the store does not answer', async () => {
    const original = svc.store.ping;
    svc.store.ping = async () => {
      throw new Error('down');
    };
    try {
      const res = await fetch(`${svc.url}/healthz`);
      assert.equal(res.status, 503);
    } finally {
      svc.store.ping = original;
    }
  });
});
