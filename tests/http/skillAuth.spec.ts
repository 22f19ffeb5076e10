import { strict as assert } from 'node:assert';
import { clearJwksClients } from '@microsoft/agents-hosting';
import { ConnectorStub } from '../helpers/connectorStub';
import { TokenIssuer } from '../helpers/tokenIssuer';
import { newCustomer, skill } from '../helpers/activities';
import { startService, type TestService } from '../helpers/service';

const SKILL_APP_ID = '11111111-1111-4111-8111-111111111111';
const CONSOLE_APP_ID = '22222222-2222-4222-8222-222222222222';
const COPILOT_APP_ID = '33333333-3333-4333-8333-333333333333';
const CALLER = '44444444-4444-4444-8444-444444444444';
const SKILL_TENANT = '55555555-5555-4555-8555-555555555555';
const OTHER_TENANT = '66666666-6666-4666-8666-666666666666';

describe('inbound authentication', () => {
  let stub: ConnectorStub;
  let issuer: TokenIssuer;
  let svc: TestService;
  let pva: string;

  before(async () => {
    clearJwksClients();
    stub = await new ConnectorStub().start();
    issuer = await new TokenIssuer().start();
    svc = await startService(stub, {
      SKILL_APP_ID,
      SKILL_APP_PASSWORD: 'test-only-secret',
      SKILL_APP_TENANT_ID: SKILL_TENANT,
      CONSOLE_APP_ID,
      CONSOLE_APP_PASSWORD: 'test-only-secret',
      CONSOLE_APP_TENANT_ID: SKILL_TENANT,
      COPILOT_APP_ID,
      ALLOWED_CALLERS: CALLER,
      ALLOWED_TENANTS: SKILL_TENANT,
      ENTRA_AUTHORITY: issuer.url,
      BOTFRAMEWORK_OPENID_METADATA_URL: `${issuer.url}/botframework/openid`,
      ALLOW_LOOPBACK_SERVICE_URLS: 'true',
    });
    pva = `${stub.url}/pvaruntime/`;
  });
  after(async () => {
    await svc.close();
    await issuer.stop();
    await stub.stop();
  });

  const good = () => issuer.entraToken({ tenantId: SKILL_TENANT, audience: SKILL_APP_ID, caller: CALLER });
  const start = () => skill.start(newCustomer(), { ProblemDescription: 'x' }, { serviceUrl: pva });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  describe('skill /api/messages', () => {
    it('accepts a valid token from an allowed caller, and never sends a token to loopback', async () => {
      const activity = start();
      const res = await svc.post('/api/messages', activity, bearer(await good()));
      assert.equal(res.status, 200, res.text);
      await stub.waitFor((calls) => calls.some((c) => c.base === '/pvaruntime' && c.conversationId === activity.conversation.id));
      const reply = stub.calls.find((c) => c.base === '/pvaruntime' && c.conversationId === activity.conversation.id)!;
      assert.equal(reply.body.type, 'endOfConversation');
      assert.equal(reply.authorization, undefined);
    });

    it('401 without a token', async () => {
      const res = await svc.post('/api/messages', start());
      assert.equal(res.status, 401);
    });

    it('401 with a token signed by another key', async () => {
      const t = await issuer.entraToken({ tenantId: SKILL_TENANT, audience: SKILL_APP_ID, caller: CALLER, signWithStranger: true });
      assert.equal((await svc.post('/api/messages', start(), bearer(t))).status, 401);
    });

    it('401 with a token for another audience', async () => {
      const t = await issuer.entraToken({ tenantId: SKILL_TENANT, audience: CONSOLE_APP_ID.replace('2222', '9999'), caller: CALLER });
      assert.equal((await svc.post('/api/messages', start(), bearer(t))).status, 401);
    });

    it('401 with an expired token', async () => {
      const t = await issuer.entraToken({ tenantId: SKILL_TENANT, audience: SKILL_APP_ID, caller: CALLER, expiresIn: -3600 });
      assert.equal((await svc.post('/api/messages', start(), bearer(t))).status, 401);
    });

    it('401 with a malformed authorization header', async () => {
      assert.equal((await svc.post('/api/messages', start(), { authorization: 'Bearer not.a.jwt' })).status, 401);
    });

    it('403 when the caller is not on ALLOWED_CALLERS', async () => {
      const t = await issuer.entraToken({ tenantId: SKILL_TENANT, audience: SKILL_APP_ID, caller: '77777777-7777-4777-8777-777777777777' });
      const res = await svc.post('/api/messages', start(), bearer(t));
      assert.equal(res.status, 403);
      assert.match(res.body.reason, /allow-list/);
    });

    it('a v1 token names its caller in appid: accepted from an allowed caller, 403 from another', async () => {
      const allowed = await issuer.entraToken({ tenantId: SKILL_TENANT, audience: SKILL_APP_ID, caller: CALLER, v1: true });
      assert.equal((await svc.post('/api/messages', start(), bearer(allowed))).status, 200);
      const other = await issuer.entraToken({ tenantId: SKILL_TENANT, audience: SKILL_APP_ID, caller: '77777777-7777-4777-8777-777777777777', v1: true });
      assert.equal((await svc.post('/api/messages', start(), bearer(other))).status, 403);
    });

    it('403 when the tenant is not on ALLOWED_TENANTS', async () => {
      const t = await issuer.entraToken({ tenantId: OTHER_TENANT, audience: SKILL_APP_ID, caller: CALLER });
      const res = await svc.post('/api/messages', start(), bearer(t));
      assert.equal(res.status, 403);
    });

    it('400 for a forged serviceUrl, and nothing is stored or sent', async () => {
      const customer = newCustomer();
      const activity = skill.start(customer, { ProblemDescription: 'x' }, { serviceUrl: 'https://attacker.example.net/' });
      const before = stub.calls.length;
      const res = await svc.post('/api/messages', activity, bearer(await good()));
      assert.equal(res.status, 400);
      assert.match(res.body.reason, /serviceUrl is not allowed/);
      // Nothing stored: no look-up for the chat (so no escalation), and nothing queued or sent.
      assert.equal(await svc.store.lookups.get(`customer|${customer.conversationId}`), undefined);
      await svc.relay.idle();
      assert.equal(stub.calls.length, before);
    });
  });

  describe('console /api/console/messages', () => {
    const update = (serviceUrl: string) => ({
      type: 'conversationUpdate',
      channelId: 'msteams',
      serviceUrl,
      conversation: { id: '19:x@thread.tacv2', isGroup: true },
      from: { id: '29:someone' },
      recipient: { id: `28:${CONSOLE_APP_ID}` },
      membersAdded: [],
      channelData: {},
    });

    it('401 without a token', async () => {
      const res = await svc.post('/api/console/messages', update(`${stub.url}/teams/`));
      assert.equal(res.status, 401);
    });

    it('accepts a Bot Framework token for the console app id', async () => {
      const serviceUrl = `${stub.url}/teams/`;
      const t = await issuer.botFrameworkToken({ audience: CONSOLE_APP_ID, serviceUrl });
      const res = await svc.post('/api/console/messages', update(serviceUrl), bearer(t));
      assert.equal(res.status, 200, res.text);
    });

    it('401 for a Bot Framework token meant for the skill', async () => {
      const serviceUrl = `${stub.url}/teams/`;
      const t = await issuer.botFrameworkToken({ audience: SKILL_APP_ID, serviceUrl });
      assert.equal((await svc.post('/api/console/messages', update(serviceUrl), bearer(t))).status, 401);
    });
  });
});
