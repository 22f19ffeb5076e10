import { strict as assert } from 'node:assert';
import { ConnectorStub } from '../helpers/connectorStub';
import { newAgent, newCustomer, skill, teams, type Agent, type Customer } from '../helpers/activities';
import { afterSweeps, startCosmosProcess, startServiceProcess, postJson, type CosmosProc, type ServiceProc } from '../helpers/processes';
import { AGENT_TENANT, bases, CHANNEL_ID, TEAM_ID, startService, type TestService } from '../helpers/service';

type Post = (path: string, body: unknown) => Promise<{ status: number; body: any }>;

interface Chat {
  id: string;
  customer: Customer;
  threadId: string;
  rootId: string;
}

/** Opens an escalation through `post` and returns its thread, once the card thread exists on the stub. */
async function open(post: Post, stub: ConnectorStub, customer = newCustomer()): Promise<Chat> {
  const res = await post('/api/messages', skill.start(customer, { ProblemDescription: 'help' }, { deliveryMode: 'expectReplies' }));
  assert.equal(res.status, 200);
  const id = res.body.activities[0].value.LiveChatConversationId as string;
  await stub.waitFor((calls) => calls.some((c) => c.kind === 'create' && c.status < 300 && JSON.stringify(c.body).includes(id)), 20_000, `thread for ${id}`);
  const create = stub.calls.find((c) => c.kind === 'create' && c.status < 300 && JSON.stringify(c.body).includes(id))!;
  return { id, customer, threadId: create.conversationId!, rootId: create.activityId! };
}

async function claim(post: Post, stub: ConnectorStub, chat: Chat, agent: Agent, teamsUrl: string): Promise<void> {
  // The thread look-up is written right after the thread is created; a claim needs only the escalation id.
  const res = await post('/api/console/messages', teams.action(agent, chat.threadId, chat.rootId, 'handover.claim', { escalationId: chat.id }, teamsUrl));
  assert.equal(res.status, 200);
  await stub.waitFor((calls) => calls.some((c) => c.conversationId === chat.customer.conversationId && c.status < 300 && /joined the chat/.test(c.body?.text ?? '')), 30_000, 'join notice');
}

const delivered = (stub: ConnectorStub, conversationId: string, pattern: RegExp) =>
  stub.calls.filter((c) => c.conversationId === conversationId && c.kind === 'send' && c.status < 300 && pattern.test(c.body?.text ?? '')).map((c) => c.body.text as string);

function assertWithinTeamsLimits(stub: ConnectorStub, conversationIds: string[]): void {
  for (const id of conversationIds) {
    assert.ok(stub.maxInWindow(id, 1000) <= 7, `${id}: ${stub.maxInWindow(id, 1000)} in 1 s`);
    assert.ok(stub.maxInWindow(id, 2000) <= 8, `${id}: ${stub.maxInWindow(id, 2000)} in 2 s`);
    assert.ok(stub.maxInWindow(id, 30_000) <= 60, `${id}: ${stub.maxInWindow(id, 30_000)} in 30 s`);
  }
}

const agentLines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} agent line ${i + 1}`);
const customerLines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} customer line ${i + 1}`);

describe('reliable delivery', function () {
  this.timeout(240_000);

  describe('many chats both ways while Teams answers 429 and 503', () => {
    let stub: ConnectorStub;
    let svc: TestService;

    before(async () => {
      stub = await new ConnectorStub().start();
      svc = await startService(stub, {}, { relay: { retries: 12, minDelayMs: 50, maxDelayMs: 1000 } });
    });
    after(async () => {
      await svc.close();
      await stub.stop();
    });

    it('delivers every line exactly once, in order, within Teams rate limits', async () => {
      const post: Post = (path, body) => svc.post(path, body);
      const teamsUrl = `${stub.url}${bases.teams}/`;
      const agent = newAgent('Ann');
      stub.members.add(agent.id);
      const chats = await Promise.all(Array.from({ length: 6 }, () => open(post, stub)));
      for (const chat of chats) await claim(post, stub, chat, agent, teamsUrl);

      stub.chaos({ match: (c) => c.kind === 'send' || c.kind === 'update', rate429: 0.15, rate503: 0.1, retryAfterSeconds: 1, seed: 42 });
      const N = 12;
      await Promise.all(
        chats.flatMap((chat, k) => [
          (async () => {
            for (const line of customerLines(N, `c${k}`)) assert.equal((await post('/api/messages', skill.message(chat.customer, line, { deliveryMode: 'expectReplies' }))).status, 200);
          })(),
          (async () => {
            for (const line of agentLines(N, `c${k}`)) assert.equal((await post('/api/console/messages', teams.reply(agent, chat.threadId, line, teamsUrl))).status, 200);
          })(),
        ]),
      );
      await svc.relay.idle();
      stub.clearFaults();

      const injected = stub.calls.filter((c) => c.status === 429 || c.status === 503).length;
      assert.ok(injected > 10, `faults were injected (${injected})`);
      chats.forEach((chat, k) => {
        assert.deepEqual(delivered(stub, chat.threadId, /customer line/).map((t) => t.replace(/^.*?: /, '')), customerLines(N, `c${k}`));
        assert.deepEqual(delivered(stub, chat.customer.conversationId, /agent line/).map((t) => t.replace(/^\*\*Ann\*\*: /, '')), agentLines(N, `c${k}`));
      });
      assertWithinTeamsLimits(stub, chats.flatMap((c) => [c.threadId, c.customer.conversationId]));
      for (const chat of chats) {
        const states = (await svc.handover.transcript(chat.id)).filter((t) => t.direction !== 'internal').map((t) => t.delivery.state);
        assert.ok(states.every((s) => s === 'delivered'), JSON.stringify(states));
      }
    });

    it('processes a duplicate inbound activity once, on both endpoints', async () => {
      const post: Post = (path, body) => svc.post(path, body);
      const teamsUrl = `${stub.url}${bases.teams}/`;
      const agent = newAgent('Bea');
      stub.members.add(agent.id);
      const chat = await open(post, stub);
      await claim(post, stub, chat, agent, teamsUrl);
      const fromCustomer = skill.message(chat.customer, 'dup from customer', { deliveryMode: 'expectReplies' });
      const fromAgent = teams.reply(agent, chat.threadId, 'dup from agent', teamsUrl);
      await Promise.all([post('/api/messages', fromCustomer), post('/api/messages', fromCustomer), post('/api/console/messages', fromAgent), post('/api/console/messages', fromAgent)]);
      await svc.relay.idle();
      assert.equal(delivered(stub, chat.threadId, /dup from customer/).length, 1);
      assert.equal(delivered(stub, chat.customer.conversationId, /dup from agent/).length, 1);
    });

    it('delivers a burst of 100 agent messages in order without a 429 storm', async () => {
      const post: Post = (path, body) => svc.post(path, body);
      const teamsUrl = `${stub.url}${bases.teams}/`;
      const agent = newAgent('Cy');
      stub.members.add(agent.id);
      const chat = await open(post, stub);
      await claim(post, stub, chat, agent, teamsUrl);
      // Teams itself answers 429 to an 8th call within a second: the stub does the same.
      stub.inject((c) => c.conversationId === chat.customer.conversationId && stub.recentCount(chat.customer.conversationId, 1000, c.at) >= 7, { status: 429, retryAfterSeconds: 1 }, 1000);
      const lines = agentLines(100, 'burst');
      for (const line of lines) assert.equal((await post('/api/console/messages', teams.reply(agent, chat.threadId, line, teamsUrl))).status, 200);
      await svc.relay.idle();
      assert.deepEqual(delivered(stub, chat.customer.conversationId, /burst agent line/).map((t) => t.replace(/^\*\*Cy\*\*: /, '')), lines);
      assert.equal(stub.calls.filter((c) => c.conversationId === chat.customer.conversationId && c.status === 429).length, 0);
      assertWithinTeamsLimits(stub, [chat.customer.conversationId]);
    });
  });

  describe('crash and scale (Cosmos-compatible server as its own process)', () => {
    let stub: ConnectorStub;
    let cosmos: CosmosProc;
    const running: ServiceProc[] = [];

    const envFor = (instanceId: string): Record<string, string> => ({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: 'test-server-accepts-any-key',
      COSMOS_CA_FILE: cosmos.caFile,
      INSTANCE_ID: instanceId,
      DELIVERY_LEASE_SECONDS: '5',
      SWEEP_INTERVAL_SECONDS: '1',
      TEAMS_SERVICE_URL_BASE: `${stub.url}${bases.customer}/`,
      AGENT_SERVICE_URL: `${stub.url}${bases.teams}/`,
      AGENT_TEAM_ID: TEAM_ID,
      AGENT_CHANNEL_ID: CHANNEL_ID,
      AGENT_TENANT_ID: AGENT_TENANT,
    });
    const start = async (id: string) => {
      const p = await startServiceProcess(envFor(id));
      running.push(p);
      return p;
    };
    const poster = (p: ServiceProc): Post => (path, body) => postJson(`${p.url}${path}`, body);

    beforeEach(async () => {
      stub = await new ConnectorStub().start();
      cosmos = await startCosmosProcess();
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((p) => p.kill('SIGKILL')));
      await cosmos.kill();
      await stub.stop();
    });

    it('after SIGKILL and restart, every accepted but undelivered line is delivered once, in order', async () => {
      const a = await start('instance-a');
      const teamsUrl = `${stub.url}${bases.teams}/`;
      const agent = newAgent('Dee');
      stub.members.add(agent.id);
      const chat = await open(poster(a), stub);
      await claim(poster(a), stub, chat, agent, teamsUrl);

      // Teams is down: everything is accepted and stored, nothing can be delivered.
      stub.inject(() => true, { status: 503, retryAfterSeconds: 30 }, 100_000);
      const fromAgent = agentLines(10, 'crash');
      const fromCustomer = customerLines(10, 'crash');
      for (let i = 0; i < 10; i++) {
        assert.equal((await poster(a)('/api/console/messages', teams.reply(agent, chat.threadId, fromAgent[i], teamsUrl))).status, 200);
        assert.equal((await poster(a)('/api/messages', skill.message(chat.customer, fromCustomer[i], { deliveryMode: 'expectReplies' }))).status, 200);
      }
      await a.kill('SIGKILL');
      stub.clearFaults();

      const restarted = await start('instance-a');
      await stub.waitFor(() => delivered(stub, chat.customer.conversationId, /crash agent line/).length >= 10 && delivered(stub, chat.threadId, /crash customer line/).length >= 10, 60_000, 'recovered deliveries');
      await afterSweeps([restarted], 2); // recovery runs on: nothing may be delivered again
      assert.deepEqual(delivered(stub, chat.customer.conversationId, /crash agent line/).map((t) => t.replace(/^\*\*Dee\*\*: /, '')), fromAgent);
      assert.deepEqual(delivered(stub, chat.threadId, /crash customer line/).map((t) => t.replace(/^.*?: /, '')), fromCustomer);
    });

    it('a burst spread over two instances keeps order and each conversation\'s Teams limits', async () => {
      const [a, b] = [await start('instance-a'), await start('instance-b')];
      // Both know of each other first: what a lone instance sent just before the other joined is not known to that
      // one's rate windows (README, known limits); this test is about the lanes once they are shared.
      await afterSweeps([a, b], 1);
      const teamsUrl = `${stub.url}${bases.teams}/`;
      const agent = newAgent('Gil');
      stub.members.add(agent.id);
      const chat = await open(poster(a), stub);
      await claim(poster(b), stub, chat, agent, teamsUrl);
      const toCustomer = agentLines(30, 'spread');
      const toDesk = customerLines(30, 'spread');
      // Six lines to one instance, the next six to the other: the lane changes hands right after a full second's budget.
      for (let i = 0; i < 30; i++) {
        const [x, y] = Math.floor(i / 6) % 2 === 0 ? [a, b] : [b, a];
        assert.equal((await poster(x)('/api/console/messages', teams.reply(agent, chat.threadId, toCustomer[i], teamsUrl))).status, 200);
        assert.equal((await poster(y)('/api/messages', skill.message(chat.customer, toDesk[i], { deliveryMode: 'expectReplies' }))).status, 200);
      }
      await stub.waitFor(
        () => delivered(stub, chat.customer.conversationId, /spread agent line/).length >= 30 && delivered(stub, chat.threadId, /spread customer line/).length >= 30,
        90_000,
        'burst delivered',
      );
      await afterSweeps([a, b], 2); // more sweeps on both: nothing may be delivered again
      assert.deepEqual(delivered(stub, chat.customer.conversationId, /spread agent line/).map((t) => t.replace(/^\*\*Gil\*\*: /, '')), toCustomer);
      assert.deepEqual(delivered(stub, chat.threadId, /spread customer line/).map((t) => t.replace(/^.*?: /, '')), toDesk);
      assertWithinTeamsLimits(stub, [chat.customer.conversationId, chat.threadId]);
    });

    it('lines of one chat accepted by two instances in turn arrive in order, once, through faults and the death of one', async () => {
      const [a, b] = [await start('instance-a'), await start('instance-b')];
      const teamsUrl = `${stub.url}${bases.teams}/`;
      const agent = newAgent('Flo');
      stub.members.add(agent.id);
      const chat = await open(poster(a), stub);
      await claim(poster(b), stub, chat, agent, teamsUrl);
      const toCustomer = agentLines(24, 'turns');
      const toDesk = customerLines(24, 'turns');
      const sendVia = async (x: ServiceProc, y: ServiceProc, i: number) => {
        const reply = teams.reply(agent, chat.threadId, toCustomer[i], teamsUrl);
        const line = skill.message(chat.customer, toDesk[i], { deliveryMode: 'expectReplies' });
        assert.equal((await poster(x)('/api/console/messages', reply)).status, 200);
        assert.equal((await poster(y)('/api/messages', line)).status, 200);
        // Every third activity is retried by its channel and lands on the other instance: processed once.
        if (i % 3 === 0 && x !== y) {
          assert.equal((await poster(y)('/api/console/messages', reply)).status, 200);
          assert.equal((await poster(x)('/api/messages', line)).status, 200);
        }
      };
      // A load balancer without affinity: consecutive lines of the same chat land on different instances.
      const alternate = (i: number) => (i % 2 === 0 ? sendVia(a, b, i) : sendVia(b, a, i));

      // Teams throttles and fails a share of sends: instances must not overtake each other's retried lines.
      stub.chaos({ match: (c) => c.kind === 'send', rate429: 0.25, rate503: 0.15, retryAfterSeconds: 1, seed: 7 });
      for (let i = 0; i < 12; i++) await alternate(i);
      // Teams goes down; both instances accept lines they cannot deliver; then A dies holding some of them.
      stub.clearFaults();
      stub.inject(() => true, { status: 503, retryAfterSeconds: 30 }, 100_000);
      for (let i = 12; i < 18; i++) await alternate(i);
      await a.kill('SIGKILL');
      stub.clearFaults();
      // B alone takes the rest; A's stored lines must still come before them.
      for (let i = 18; i < 24; i++) await sendVia(b, b, i);

      await stub.waitFor(
        () => delivered(stub, chat.customer.conversationId, /turns agent line/).length >= 24 && delivered(stub, chat.threadId, /turns customer line/).length >= 24,
        90_000,
        'all lines delivered',
      );
      await afterSweeps([b], 2); // more sweeps: nothing may be delivered again
      assert.deepEqual(delivered(stub, chat.customer.conversationId, /turns agent line/).map((t) => t.replace(/^\*\*Flo\*\*: /, '')), toCustomer);
      assert.deepEqual(delivered(stub, chat.threadId, /turns customer line/).map((t) => t.replace(/^.*?: /, '')), toDesk);
      assertWithinTeamsLimits(stub, [chat.customer.conversationId, chat.threadId]);
    });

    it('with three instances on one store, a dead instance\'s deliveries are picked up by exactly one other', async () => {
      const [a, b, c] = [await start('instance-a'), await start('instance-b'), await start('instance-c')];
      const teamsUrl = `${stub.url}${bases.teams}/`;
      const agent = newAgent('Eli');
      stub.members.add(agent.id);
      const chats = [await open(poster(a), stub), await open(poster(a), stub)];
      for (const chat of chats) await claim(poster(a), stub, chat, agent, teamsUrl);

      stub.inject(() => true, { status: 503, retryAfterSeconds: 30 }, 100_000);
      for (const [k, chat] of chats.entries()) {
        for (const line of agentLines(8, `scale${k}`)) assert.equal((await poster(a)('/api/console/messages', teams.reply(agent, chat.threadId, line, teamsUrl))).status, 200);
      }
      await a.kill('SIGKILL');
      stub.clearFaults();

      // Meanwhile the survivors serve new chats of their own.
      const fresh = await open(poster(b), stub);
      await claim(poster(c), stub, fresh, agent, teamsUrl);
      await poster(c)('/api/console/messages', teams.reply(agent, fresh.threadId, 'fresh line', teamsUrl));

      await stub.waitFor(() => chats.every((chat, k) => delivered(stub, chat.customer.conversationId, new RegExp(`scale${k} agent line`)).length >= 8), 60_000, 'orphans delivered');
      await afterSweeps([b, c], 2); // two more sweeps on each survivor: nothing may be delivered again
      for (const [k, chat] of chats.entries()) {
        assert.deepEqual(delivered(stub, chat.customer.conversationId, new RegExp(`scale${k} agent line`)).map((t) => t.replace(/^\*\*Eli\*\*: /, '')), agentLines(8, `scale${k}`));
      }
      assert.deepEqual(delivered(stub, fresh.customer.conversationId, /fresh line/), ['**Eli**: fresh line']);
      assertWithinTeamsLimits(stub, [...chats, fresh].flatMap((chat) => [chat.customer.conversationId, chat.threadId]));
    });
  });
});
