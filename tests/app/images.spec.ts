/**
 * Images both ways over HTTP, with the connector stub serving the attachments (and checking each side's token) and
 * Azurite holding the stored files: checked by their bytes and size, passed on as signed, expiring links; anything
 * else refused in plain words while the line's text still goes through.
 */
import { strict as assert } from 'node:assert';
import { BlobServiceClient } from '@azure/storage-blob';
import { sharedBlobConnectionString } from '../helpers/azurite';
import { escalateToTeamsDesk } from '../helpers/teamsDesk';
import { ConnectorStub } from '../helpers/connectorStub';
import { newAgent, skill, teams, type Agent, type Customer } from '../helpers/activities';
import { bases, startService, type TestService } from '../helpers/service';

const expectReplies = { deliveryMode: 'expectReplies' };
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n');
const CONTAINER = 'images-spec';
const MAX = 64 * 1024;

describe('images both ways over HTTP (Azurite, signed links)', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  let teamsUrl: string;
  let offsetMs = 0;
  const ann: Agent = newAgent('Ann');
  let o: { id: string; customer: Customer; threadId: string; rootId: string };

  before(async () => {
    stub = await new ConnectorStub().start();
    stub.members.add(ann.id);
    svc = await startService(stub, { BLOB_CONTAINER: CONTAINER, MAX_IMAGE_BYTES: String(MAX), FILE_LINK_MINUTES: '60' }, {
      clock: () => new Date(Date.now() + offsetMs),
      tokens: { customer: { token: async () => 'copilot-token' }, desk: { token: async () => 'console-token' } },
    });
    teamsUrl = `${stub.url}${bases.teams}/`;
    o = await escalateToTeamsDesk(svc, stub, { ProblemDescription: 'My screen is broken' });
    await svc.post('/api/console/messages', teams.action(ann, o.threadId, o.rootId, 'handover.claim', { escalationId: o.id }, teamsUrl));
    await svc.relay.idle();
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });
  afterEach(() => (offsetMs = 0));

  const stored = async () => {
    const container = BlobServiceClient.fromConnectionString(await sharedBlobConnectionString()).getContainerClient(CONTAINER);
    let n = 0;
    for await (const _ of container.listBlobsFlat()) n++;
    return n;
  };
  const agentPosts = async (text: string, attachments: unknown[]) => {
    const r = await svc.post('/api/console/messages', { ...teams.reply(ann, o.threadId, text, teamsUrl), attachments });
    await svc.relay.idle();
    return r;
  };
  const customerPosts = async (text: string, attachments: unknown[]) => {
    const r = await svc.post('/api/messages', { ...skill.message(o.customer, text, expectReplies), attachments });
    await svc.relay.idle();
    return r;
  };
  const toCustomer = () => stub.calls.filter((c) => c.base.startsWith(bases.customer) && c.conversationId === o.customer.conversationId && c.status < 300).map((c) => c.body);
  const inThread = () => stub.calls.filter((c) => c.kind === 'send' && c.conversationId === o.threadId && c.status < 300).map((c) => c.body);
  const open = (url: string) => fetch(url).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), nosniff: r.headers.get('x-content-type-options'), body: Buffer.from(await r.arrayBuffer()) }));

  it('agent → customer: a pasted image is fetched with the console bot\'s token, stored, and sent as a signed link', async () => {
    stub.files.set('pasted-1', { bytes: PNG, contentType: 'image/*', token: 'console-token' });
    const before = await stored();
    await agentPosts('Here is where to click', [
      { contentType: 'image/*', contentUrl: stub.fileUrl('pasted-1') },
      { contentType: 'text/html', content: '<div>Here is where to click<img src="…"></div>' },
    ]);
    assert.deepEqual(stub.downloads.filter((d) => d.id === 'pasted-1'), [{ id: 'pasted-1', authorization: 'Bearer console-token', status: 200 }]);
    assert.equal(await stored(), before + 1);
    const sent = toCustomer().at(-1);
    assert.equal(sent.text, '**Ann**: Here is where to click');
    assert.equal(sent.attachments.length, 1);
    const [image] = sent.attachments;
    assert.deepEqual([image.contentType, image.name], ['image/png', 'image.png']);
    assert.match(image.contentUrl, new RegExp(`^${svc.url}/files/[0-9a-f]{40}\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    const got = await open(image.contentUrl);
    assert.deepEqual([got.status, got.type, got.nosniff], [200, 'image/png', 'nosniff']);
    assert.ok(got.body.equals(PNG), 'the same bytes');
  });

  it('customer → agent: an image on sendMessage is fetched with the Copilot Studio agent\'s token and shown in the thread', async () => {
    stub.files.set('photo-1', { bytes: JPEG, contentType: 'image/jpeg', token: 'copilot-token' });
    const r = await customerPosts('', [{ contentType: 'image/jpeg', contentUrl: stub.fileUrl('photo-1', bases.customer), name: 'photo.jpg' }]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.activities ?? [], [], 'a live chat: nothing handed back');
    assert.equal(stub.downloads.find((d) => d.id === 'photo-1')?.authorization, 'Bearer copilot-token');
    const posted = inThread().at(-1);
    assert.equal(posted.text, 'Ada Customer: ');
    assert.deepEqual([posted.attachments[0].contentType, posted.attachments[0].name], ['image/jpeg', 'photo.jpg']);
    assert.ok((await open(posted.attachments[0].contentUrl)).body.equals(JPEG));
  });

  it('a message that is only a refused file: the customer is told, and the desk sees that they wrote (their timers count it)', async () => {
    stub.files.set('only-pdf', { bytes: PDF, contentType: 'application/pdf', token: 'copilot-token' });
    await customerPosts('', [{ contentType: 'application/pdf', contentUrl: stub.fileUrl('only-pdf', bases.customer), name: 'invoice.pdf' }]);
    assert.equal(inThread().at(-1)?.text, 'Ada Customer: (sent a file that could not be passed on: only images can be; they were asked to share a link)');
    assert.match(toCustomer().at(-1).text, /^Sorry, we could not pass on your file/);
    const lines = (await svc.store.transcripts.list(o.id)).filter((t) => t.kind === 'customer');
    assert.match(lines.at(-1)?.text ?? '', /could not be passed on/);
  });

  it('a renamed non-image is refused by its bytes: nothing stored, the customer told, the text still relayed', async () => {
    stub.files.set('fake-png', { bytes: PDF, contentType: 'image/png', token: 'copilot-token' });
    const before = await stored();
    await customerPosts('see my invoice', [{ contentType: 'image/png', contentUrl: stub.fileUrl('fake-png', bases.customer), name: 'invoice.png' }]);
    assert.equal(await stored(), before);
    const posted = inThread().at(-1);
    assert.deepEqual([posted.text, posted.attachments], ['Ada Customer: see my invoice', undefined]);
    assert.match(toCustomer().at(-1).text, /^Sorry, we could not pass on your file: only images .* Please share a link to it instead\.$/);
  });

  it('an oversized image and a PDF from the agent are refused: the agent is told, the PDF is not even downloaded', async () => {
    const big = Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(MAX, 1)]);
    stub.files.set('big', { bytes: big, contentType: 'image/png', token: 'console-token' });
    stub.files.set('report', { bytes: PDF, contentType: 'application/pdf', token: 'console-token' });
    const before = await stored();
    const sentBefore = toCustomer().length;
    await agentPosts('two files for you', [
      { contentType: 'image/png', contentUrl: stub.fileUrl('big'), name: 'huge.png' },
      { contentType: 'application/pdf', contentUrl: stub.fileUrl('report'), name: 'report.pdf' },
    ]);
    assert.equal(await stored(), before);
    assert.equal(stub.downloads.filter((d) => d.id === 'report').length, 0);
    const told = inThread().map((b) => b.text as string).find((t) => t.includes('Not sent to the customer'));
    assert.equal(told, 'ℹ️ Not sent to the customer: "huge.png", "report.pdf". Only images (PNG, JPEG, GIF or WebP, up to the size limit) can be passed on; share a link instead.');
    const sent = toCustomer().slice(sentBefore);
    assert.deepEqual(sent.map((b) => [b.text, b.attachments]), [['**Ann**: two files for you', undefined]]);
  });

  it('an agent\'s image whose host is busy (503): the text still reaches the customer, and the agent is asked to paste it again', async () => {
    stub.files.set('busy-1', { bytes: PNG, contentType: 'image/png', token: 'console-token', status: 503 });
    const before = await stored();
    const r = await agentPosts('here is the screenshot', [{ contentType: 'image/png', contentUrl: stub.fileUrl('busy-1'), name: 'shot.png' }]);
    assert.equal(r.status < 300, true, `answered ${r.status}: Teams would not retry, so the text must not be lost`);
    assert.equal(await stored(), before);
    assert.deepEqual(toCustomer().at(-1)?.text, '**Ann**: here is the screenshot');
    assert.match(inThread().at(-1)?.text ?? '', /could not be stored just now, so it was not sent; your text was/);
  });

  it('an image on a host outside the service-URL allow-list is never fetched: refused, and no token leaves', async () => {
    const before = await stored();
    await agentPosts('from elsewhere', [{ contentType: 'image/png', contentUrl: 'https://images.example.net/pasted.png', name: 'pasted.png' }]);
    assert.equal(await stored(), before);
    assert.ok(inThread().some((b) => b.text === 'ℹ️ Not sent to the customer: "pasted.png". Only images (PNG, JPEG, GIF or WebP, up to the size limit) can be passed on; share a link instead.'));
    assert.equal(toCustomer().at(-1).text, '**Ann**: from elsewhere');
  });

  it('a signed link expires, and a tampered, missing or borrowed signature is 403 and says nothing more', async () => {
    stub.files.set('pasted-2', { bytes: PNG, contentType: 'image/png', token: 'console-token' });
    await agentPosts('', [{ contentType: 'image/png', contentUrl: stub.fileUrl('pasted-2') }]);
    const link = new URL(toCustomer().at(-1).attachments[0].contentUrl);
    assert.equal((await open(link.href)).status, 200);
    const sig = link.searchParams.get('sig')!;
    const flip = `${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.at(-1)}`;
    const variants = [
      `${link.origin}${link.pathname}?exp=${link.searchParams.get('exp')}&sig=${flip}`,
      `${link.origin}${link.pathname}?exp=${Number(link.searchParams.get('exp')) + 3600}&sig=${sig}`,
      `${link.origin}${link.pathname}`,
      `${link.origin}/files/00000000-0000-4000-8000-000000000000?${link.searchParams.toString()}`,
    ];
    const bodies = new Set<string>();
    for (const v of variants) {
      const r = await open(v);
      assert.equal(r.status, 403, v);
      bodies.add(r.body.toString());
    }
    assert.equal(bodies.size, 1, 'every refusal looks the same');
    offsetMs = 61 * 60_000;
    const expired = await open(link.href);
    assert.equal(expired.status, 403);
    assert.equal(expired.body.toString(), [...bodies][0]);
  });
});
