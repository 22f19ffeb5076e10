/** The lead's board over HTTP: every open escalation per queue, posted where asked for, refreshed in place. */
import { strict as assert } from 'node:assert';
import { threadOf } from '../../src/console/teamsChannelDesk';
import { escalateToTeamsDesk } from '../helpers/teamsDesk';
import { ConnectorStub } from '../helpers/connectorStub';
import { newAgent, newCustomer, teams } from '../helpers/activities';
import { AGENT_TENANT, bases, CHANNEL_ID, startService, TEAM_ID, type TestService } from '../helpers/service';

describe('the board over HTTP', () => {
  let stub: ConnectorStub;
  let svc: TestService;
  let teamsUrl: string;

  before(async () => {
    stub = await new ConnectorStub().start();
    svc = await startService(stub, { AGENT_QUEUES: JSON.stringify([{ name: 'billing', teamId: TEAM_ID, channelId: '19:billing@thread.tacv2' }]) });
    teamsUrl = `${stub.url}${bases.teams}/`;
  });
  after(async () => {
    await svc.close();
    await stub.stop();
  });

  const escalate = async (name: string, value: Record<string, string> = {}) => (await escalateToTeamsDesk(svc, stub, { ProblemDescription: 'help', ...value }, newCustomer(name))).escalation;
  const ask = (who: ReturnType<typeof newAgent>) => ({
    ...teams.reply(who, `${CHANNEL_ID};messageid=77`, '<at>Console</at> board', teamsUrl),
    entities: [{ type: 'mention', text: '<at>Console</at>', mentioned: { id: '28:console-bot', name: 'Console' } }],
    channelData: { team: { id: TEAM_ID }, channel: { id: CHANNEL_ID }, tenant: { id: AGENT_TENANT } },
  });

  it('lists every open escalation per queue with state, owner, waiting time, SLA and a thread link; Refresh updates it', async () => {
    const ann = newAgent('Ann');
    stub.members.add(ann.id);
    const [grace] = [await escalate('Grace'), await escalate('Alan')];
    await escalate('Barbara', { Queue: 'billing' });
    const t = threadOf(grace.deskRef!);
    await svc.post('/api/console/messages', teams.action(ann, t.conversationId, t.rootActivityId, 'handover.claim', { escalationId: grace.id }, teamsUrl));
    assert.equal((await svc.post('/api/console/messages', ask(ann))).status, 200);
    const posted = stub.calls.filter((c) => c.kind === 'send' && c.conversationId === `${CHANNEL_ID};messageid=77`).at(-1)!;
    const board = JSON.stringify(posted.body.attachments[0].content);
    assert.match(board, /"text":"default: 1 waiting, 1 in a chat"/);
    assert.match(board, /"text":"billing: 1 waiting, 0 in a chat"/);
    assert.match(board, /"text":"Grace"[^]*"text":"With Ann"/);
    assert.match(board, /"text":"Alan"[^]*"text":"Waiting · on time"/);
    assert.ok(board.includes(`https://teams.microsoft.com/l/message/${encodeURIComponent(CHANNEL_ID)}/${t.rootActivityId}`), 'a link to the thread');
    assert.ok(Buffer.byteLength(board) < 28 * 1024);
    const refresh = await svc.post('/api/console/messages', teams.action(ann, `${CHANNEL_ID};messageid=77`, '77', 'handover.board', {}, teamsUrl));
    assert.equal(refresh.body.type, 'application/vnd.microsoft.card.adaptive');
    assert.match(JSON.stringify(refresh.body.value), /default: 1 waiting, 1 in a chat/);
  });

  it('is refused to people outside the team', async () => {
    await svc.post('/api/console/messages', ask(newAgent('Mallory')));
    const posted = stub.calls.filter((c) => c.kind === 'send' && c.conversationId === `${CHANNEL_ID};messageid=77`).at(-1)!;
    assert.match(posted.body.text, /Only members of the agents' team/);
  });
});
