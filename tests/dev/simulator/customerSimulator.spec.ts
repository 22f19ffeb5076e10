/** The customer simulator's own interface: what it sends as Copilot Studio, what it shows, and its input checks. */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { CustomerSimulator } from '../../../dev/simulator/customerSimulator';
import { closeServer, listenOnLoopback } from '../../helpers/loopback';

describe('customer simulator', () => {
  let skill: Server;
  let received: any[];
  let skillStatus: number;
  let sim: CustomerSimulator;

  beforeEach(async () => {
    received = [];
    skillStatus = 200;
    // Stands in for the service's skill endpoint: records what "Copilot Studio" sent.
    skill = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(skillStatus, { 'content-type': 'application/json' });
        res.end(skillStatus === 200 ? '' : JSON.stringify({ reason: 'store unavailable' }));
      });
    });
    const skillUrl = await listenOnLoopback(skill);
    sim = await new CustomerSimulator({ skillEndpoint: `${skillUrl}/api/messages` }).start();
  });

  afterEach(async () => {
    await sim.stop();
    await closeServer(skill);
  });

  const post = (path: string, body: unknown, raw = false) =>
    fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });

  it('sends startConversation as Copilot Studio does, with the pvaruntime service URL and string inputs', async () => {
    assert.equal((await post('/api/start', { problem: 'Refund please' })).status, 200);
    const a = received[0];
    assert.equal(a.type, 'event');
    assert.equal(a.name, 'startConversation');
    assert.equal(a.serviceUrl, `${sim.url}/pvaruntime/`);
    assert.equal(a.value.ProblemDescription, 'Refund please');
    assert.equal(typeof a.value.Context, 'string');
    assert.equal(JSON.parse(a.value.Context).va_LastTopic, 'Escalate');
    assert.equal(a.channelId, 'msteams');
    assert.ok(a.conversation.id && a.from.id && a.channelData.tenant.id);
  });

  it('becomes live on the skill\'s endOfConversation and relays later lines as sendMessage with the live chat id', async () => {
    await post('/api/start', { problem: 'Refund please' });
    const eoc = { type: 'endOfConversation', name: 'startConversation', code: 'completedSuccessfully', value: { LiveChatConversationId: 'esc-1' } };
    const r = await post(`/pvaruntime/v3/conversations/${encodeURIComponent('a:x')}/activities/abc`, eoc);
    assert.equal(r.status, 200);
    assert.ok((await r.json()).id);
    assert.equal(sim.status, 'live');
    await post('/api/say', { text: 'Hello?' });
    assert.equal(received[1].type, 'message');
    assert.equal(received[1].text, 'Hello?');
    assert.equal(received[1].value.LiveChatConversationId, 'esc-1');
  });

  it('shows agent lines with the agent\'s name and notices as notices', async () => {
    await post('/teams/amer/t/v3/conversations/a%3Ax/activities', { type: 'message', text: '**Alex Wilber**: Hi \\*there\\*' });
    await post('/teams/amer/t/v3/conversations/a%3Ax/activities', { type: 'message', text: 'Alex Wilber joined the chat.' });
    const lines = (await (await fetch(`${sim.url}/api/chat`)).json()).lines;
    assert.deepEqual(lines.map((l: any) => [l.kind, l.from, l.text]), [
      ['agent', 'Alex Wilber', 'Hi \\*there\\*'],
      ['notice', undefined, 'Alex Wilber joined the chat.'],
    ]);
  });

  it('answers bad input with 400 and a reason, and a failing skill with 502 and the skill\'s answer', async () => {
    const bad = await post('/api/say', '{not json', true);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /not JSON/);
    const empty = await post('/api/say', { text: '  ' });
    assert.equal(empty.status, 400);
    const big = await post('/api/say', { text: 'x'.repeat(70 * 1024) });
    assert.equal(big.status, 400);
    skillStatus = 503;
    const failed = await post('/api/start', { problem: 'x' });
    assert.equal(failed.status, 502);
    assert.match((await failed.json()).body, /store unavailable/);
    assert.ok(sim.chat.lines.some((l) => l.kind === 'notice' && l.text.startsWith('The skill answered 503')));
  });

  it('runs as a program of its own (npm run simulator) against the skill endpoint it is given', async () => {
    const skillUrl = `http://127.0.0.1:${(skill.address() as { port: number }).port}`;
    const child = spawn(process.execPath, [join(__dirname, '..', '..', '..', 'dev', 'simulator', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', SKILL_ENDPOINT: `${skillUrl}/api/messages`, DEV_SIMULATOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const printed = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (/TEAMS_SERVICE_URL_BASE=\S+/.test(out)) ok(out);
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code}: ${out}`)));
      });
      const url = /customer simulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)![1];
      assert.match(printed, new RegExp(`TEAMS_SERVICE_URL_BASE=${url}/teams/`));
      const res = await fetch(`${url}/api/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ problem: 'printer on fire' }) });
      assert.equal(res.status, 200);
      assert.equal(received.length, 1);
      assert.equal(received[0].name, 'startConversation');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
