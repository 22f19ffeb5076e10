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
    const server = createServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(307, { location: 'https://elsewhere.example.net/api/chat/start' });
      res.end();
    });
    const url = await listenOnLoopback(server);
    try {
      const client = new LiveChatClient(url, { bearerToken: 'desk-token' });
      await assert.rejects(client.post('api/chat/start', {}, open), /did not answer/);
      assert.equal(auth, 'Bearer desk-token');
      await assert.rejects(client.post('https://elsewhere.example.net/api/chat/start', {}, open), /not the live-chat desk's origin/);
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
