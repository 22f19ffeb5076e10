/** The live-chat desk edge on its own, against the desk stub over HTTP: auth headers, origin, what ends a chat there. */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import { LiveChatClient } from '../../src/livechat/liveChatClient';
import { LiveChatDesk } from '../../src/livechat/liveChatDesk';
import { sampleEscalation } from '../helpers/fixtures';
import { LiveChatDeskStub } from '../helpers/liveChatDeskStub';
import { closeServer, listenOnLoopback } from '../helpers/loopback';

const open = async () => undefined;

describe('LiveChatDesk and its client', () => {
  let stub: LiveChatDeskStub;
  before(async () => (stub = await new LiveChatDeskStub().start()));
  after(() => stub.stop());

  it('a bearer token instead of the API key; a desk that redirects elsewhere is not followed', async () => {
    let auth: string | undefined;
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(`${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"conversationId":"taken-over"}');
    });
    const otherUrl = await listenOnLoopback(other);
    const server = createServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(307, { location: `${otherUrl}/api/chat/start` });
      res.end();
    });
    const url = await listenOnLoopback(server);
    try {
      const client = new LiveChatClient(url, { bearerToken: 'desk-token' });
      await assert.rejects(client.post('api/chat/start', {}, open), /did not answer/);
      assert.equal(auth, 'Bearer desk-token');
      assert.deepEqual(elsewhere, [], 'the redirect target (a loopback server that answers) never got the request or the token');
      await assert.rejects(client.post('https://elsewhere.example.net/api/chat/start', {}, open), /not the live-chat desk's origin/);
    } finally {
      await closeServer(server);
      await closeServer(other);
    }
  });

  it('an answer larger than the contract could need is refused, not read into memory; a page is no answer', async () => {
    let body = '';
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    const url = await listenOnLoopback(server);
    try {
      const client = new LiveChatClient(url, {});
      body = JSON.stringify({ conversationId: 'x'.repeat(200_000) });
      await assert.rejects(client.post('api/chat/receive', {}, open), /could not be read \(the answer is larger than 65536 bytes\)/);
      body = '<html>Welcome to nginx!</html>';
      assert.equal(await client.post('api/chat/receive', {}, open), undefined);
      body = '"lc-7"';
      assert.equal(await client.post('api/chat/start', {}, open), 'lc-7');
      body = '\uFEFF{"conversationId":"lc-8"}'; // a leading BOM, as some servers write
      assert.deepEqual(await client.post('api/chat/start', {}, open), { conversationId: 'lc-8' });
    } finally {
      await closeServer(server);
    }
  });

  it('a desk that cannot be reached is said so without its URL (which must never reach logs or stored errors)', async () => {
    const probe = createServer();
    const url = await listenOnLoopback(probe);
    await closeServer(probe);
    const err = await new LiveChatClient(`${url}/secret-path/`, { apiKey: 'k' }).post('api/chat/start', {}, open).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /^the live-chat desk did not answer \(ECONNREFUSED\)$/);
  });

  it('a start answered with an id its webhook could never name is no place', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ conversationId: 'y'.repeat(201) }));
    });
    const url = await listenOnLoopback(server);
    try {
      const desk = new LiveChatDesk(new LiveChatClient(url, {}));
      await assert.rejects(desk.announce(sampleEscalation(), open), (e: Error & { retryable?: boolean }) => /cannot use/.test(e.message) && e.retryable === false);
    } finally {
      await closeServer(server);
    }
  });

  it('ends the chat there when it closed on our side or was transferred away, never after the desk\'s own close', async () => {
    const desk = new LiveChatDesk(new LiveChatClient(stub.url, {}));
    const ref = { desk: 'livechat', threadId: 'livechat|lc-9', address: { conversationId: 'lc-9' } };
    const ends = () => stub.ok('/api/chat/end').length;
    await desk.refresh(sampleEscalation({ deskRef: ref }), {}, open);
    await desk.refresh(sampleEscalation({ deskRef: ref, status: 'closed', closedReason: 'agent' }), {}, open);
    assert.equal(ends(), 0);
    await desk.refresh(sampleEscalation({ deskRef: ref, status: 'closed', closedReason: 'inactive' }), {}, open);
    await desk.refresh(sampleEscalation({ deskRef: ref }), { transferredTo: 'billing' }, open);
    assert.equal(ends(), 2);
  });
});
