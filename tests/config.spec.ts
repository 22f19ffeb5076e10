import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig } from '../src/config';

/** The problems loadConfig names for `env` (none when it loads). */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('config', () => {
  it('runs in local mode with no credentials outside production', () => {
    const c = loadConfig({});
    assert.equal(c.localMode, true);
    assert.equal(c.port, 3978);
    assert.equal(c.allowLoopbackServiceUrls, true);
  });

  it('local mode (no token checked) listens on loopback unless HOST says otherwise; with credentials, on every interface', () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ HOST: '' }).host, '127.0.0.1');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(loadConfig({ SKILL_APP_ID: 'a', SKILL_APP_PASSWORD: 'x', CONSOLE_APP_ID: 'b', CONSOLE_APP_PASSWORD: 'x', COPILOT_APP_ID: 'c', COPILOT_APP_PASSWORD: 'x', ALLOWED_CALLERS: 'c', FILE_LINK_SECRET: 'x'.repeat(32) }).host, '0.0.0.0');
  });

  it('takes an empty value (an env file line like RETENTION_DAYS=) as the default, not as 0', () => {
    const c = loadConfig({ PORT: '', RETENTION_DAYS: '', MAX_BODY_BYTES: ' ', TEAMS_TENANT_RPS: '', NOTE_MARKER: '' });
    assert.equal(c.port, 3978);
    assert.equal(c.retentionDays, 30);
    assert.equal(c.maxBodyBytes, 262144);
  });

  it('names every missing setting in production', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['SKILL_APP_ID', 'CONSOLE_APP_ID', 'COPILOT_APP_ID', 'ALLOWED_CALLERS', 'COSMOS_ENDPOINT', 'PUBLIC_BASE_URL']) {
          assert.ok(err.problems.some((p) => p.startsWith(name)), `${name} in ${err.message}`);
        }
        return true;
      },
    );
  });

  it('rejects invalid values with the setting named', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ COSMOS_ENDPOINT: 'not a url' }), /COSMOS_ENDPOINT/);
    assert.throws(() => loadConfig({ COSMOS_ENDPOINT: 'https://x.documents.azure.com/' }), /COSMOS_KEY/);
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
    // A body larger than a Cosmos DB item could hold would be refused by the store at every retry.
    assert.throws(() => loadConfig({ MAX_BODY_BYTES: String(4 * 1024 * 1024) }), /MAX_BODY_BYTES.*1 MiB/);
    assert.equal(loadConfig({ MAX_BODY_BYTES: String(1024 * 1024) }).maxBodyBytes, 1024 * 1024);
  });

  it('timers: on by default, 0 turns one off, fractions and unreadable lists, hours or zones refused by name', () => {
    const t = loadConfig({}).timers;
    assert.deepEqual([t.queueUpdateSeconds, t.claimSeconds, t.leadSeconds, t.replySeconds, t.checkInSeconds, t.closeSeconds], [60, 300, 900, 300, 600, 300]);
    assert.equal(t.hours, undefined);
    assert.equal(loadConfig({ SLA_CLAIM_SECONDS: '0' }).timers.claimSeconds, 0);
    assert.throws(() => loadConfig({ SLA_REPLY_SECONDS: '0.5' }), /SLA_REPLY_SECONDS: whole seconds only/);
    assert.throws(() => loadConfig({ INACTIVITY_CLOSE_SECONDS: '-1' }), /INACTIVITY_CLOSE_SECONDS/);
    assert.throws(() => loadConfig({ SLA_NOTIFY: 'dee, tag:abc:Leads' }), /SLA_NOTIFY: "dee" is neither/);
    assert.throws(() => loadConfig({ SLA_CLAIM_SECONDS: '600', SLA_LEAD_SECONDS: '300' }), /SLA_LEAD_SECONDS: must be longer/);
    assert.throws(() => loadConfig({ OFFICE_HOURS: 'weekdays' }), /OFFICE_HOURS:/);
    assert.throws(() => loadConfig({ OFFICE_HOURS: 'Mon 08:00-18:00', OFFICE_TIMEZONE: 'Berlin' }), /OFFICE_TIMEZONE:/);
    assert.throws(() => loadConfig({ HOLIDAYS: 'Christmas' }), /HOLIDAYS:/);
    assert.throws(() => loadConfig({ HOLIDAYS: '2026-12-25' }), /HOLIDAYS: needs OFFICE_HOURS/, 'ignored without office hours: refused, not silently');
    assert.throws(() => loadConfig({ OFFICE_HOURS: 'Mon-Fri 08:00-18:00', HOLIDAYS: '2026-02-30' }), /HOLIDAYS: "2026-02-30" is not a date/);
    const c = loadConfig({ SLA_NOTIFY: '0b8f0c2e-4c1a-4f7e-9d53-2f1f5a0c9e11, dee@contoso.com, tag:19abc:Night shift', OFFICE_HOURS: 'Mon-Fri 08:00-18:00', OFFICE_TIMEZONE: 'Europe/Berlin' });
    assert.deepEqual(c.timers.notify.map((m) => m.kind), ['person', 'person', 'tag']);
    assert.equal(c.timers.hours?.timeZone, 'Europe/Berlin');
  });

  it('AGENT_QUEUES: JSON of named queues, checked by name and field', () => {
    assert.deepEqual(loadConfig({}).agentQueues, []);
    const q = loadConfig({ AGENT_QUEUES: '[{"name":"billing","teamId":"19:t","channelId":"19:c"},{"name":"de","when":{"va_Language":"de-DE"}}]' }).agentQueues;
    assert.deepEqual(q.map((x) => x.name), ['billing', 'de']);
    assert.throws(() => loadConfig({ AGENT_QUEUES: '[{"name":"billing"' }), /AGENT_QUEUES: not JSON/);
    assert.throws(() => loadConfig({ AGENT_QUEUES: '[{"name":"Billing Team"}]' }), /AGENT_QUEUES\[0\]\["name"\]: a queue name is/);
    assert.throws(() => loadConfig({ AGENT_QUEUES: '[{"name":"default"}]' }), /"default" is the queue of AGENT_CHANNEL_ID/);
    assert.throws(() => loadConfig({ AGENT_QUEUES: '[{"name":"a"},{"name":"a"}]' }), /unique \(a given twice\)/);
    assert.throws(() => loadConfig({ AGENT_QUEUES: '[{"name":"a","channelId":"19:c"}]' }), /channelId needs the teamId/);
    assert.throws(() => loadConfig({ AGENT_QUEUES: '[{"name":"a","chanel":"19:c"}]' }), /AGENT_QUEUES\[0\]/);
  });

  it('refuses loopback service URLs and wildcard callers in production', () => {
    const env = {
      NODE_ENV: 'production', SKILL_APP_ID: 'a', SKILL_APP_PASSWORD: 'x', CONSOLE_APP_ID: 'b', CONSOLE_APP_PASSWORD: 'x', COPILOT_APP_ID: 'c', COPILOT_APP_PASSWORD: 'x',
      ALLOWED_CALLERS: '*', COSMOS_ENDPOINT: 'https://x.documents.azure.com/', COSMOS_USE_MANAGED_IDENTITY: 'true', PUBLIC_BASE_URL: 'https://h.example', ALLOW_LOOPBACK_SERVICE_URLS: 'true',
      BLOB_ENDPOINT: 'https://acct.blob.core.windows.net/', FILE_LINK_SECRET: 'x'.repeat(32),
    };
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.problems.length === 2);
    const ok = loadConfig({ ...env, ALLOWED_CALLERS: 'c', ALLOW_LOOPBACK_SERVICE_URLS: 'false' });
    assert.equal(ok.localMode, false);
    assert.equal(ok.allowLoopbackServiceUrls, false);
  });

  it('production refuses the local and test stand-ins: loopback or http endpoints, the emulator CA file, Azurite', () => {
    const env = {
      NODE_ENV: 'production', SKILL_APP_ID: 'a', SKILL_APP_PASSWORD: 'x', CONSOLE_APP_ID: 'b', CONSOLE_APP_PASSWORD: 'x', COPILOT_APP_ID: 'c', COPILOT_APP_PASSWORD: 'x',
      ALLOWED_CALLERS: 'c', COSMOS_ENDPOINT: 'https://x.documents.azure.com/', COSMOS_USE_MANAGED_IDENTITY: 'true', PUBLIC_BASE_URL: 'https://h.example',
      BLOB_ENDPOINT: 'https://acct.blob.core.windows.net/', FILE_LINK_SECRET: 'x'.repeat(32),
    };
    assert.deepEqual(problems(env), []);
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{ COSMOS_ENDPOINT: 'https://127.0.0.1:8081/' }, /^COSMOS_ENDPOINT: must not be a loopback address/],
      [{ COSMOS_CA_FILE: '/tmp/ca.pem' }, /^COSMOS_CA_FILE: not in production/],
      [{ BLOB_ENDPOINT: 'http://127.0.0.1:10000/devstoreaccount1' }, /^BLOB_ENDPOINT: must be https/],
      [{ BLOB_ENDPOINT: '', BLOB_CONNECTION_STRING: 'UseDevelopmentStorage=true' }, /^BLOB_CONNECTION_STRING: Azurite/],
      [{ BLOB_ENDPOINT: '', BLOB_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;BlobEndpoint=https://localhost:10000/a;' }, /^BLOB_CONNECTION_STRING \(BlobEndpoint\): must not be a loopback/],
      [{ PUBLIC_BASE_URL: 'http://localhost:3978' }, /^PUBLIC_BASE_URL: must be https/],
      [{ ENTRA_AUTHORITY: 'http://127.0.0.1:9999' }, /^ENTRA_AUTHORITY: must be https/],
      [{ BOTFRAMEWORK_OPENID_METADATA_URL: 'http://127.0.0.1:9999/openid' }, /^BOTFRAMEWORK_OPENID_METADATA_URL: must be https/],
      // Loopback however it is spelled, and the live-chat desk's address too (it gets the desk's key or token).
      ...['https://localhost.:8081/', 'https://[::ffff:127.0.0.1]/', 'https://[::]/', 'https://127.1/', 'https://db.localhost/'].map(
        (url): [Record<string, string>, RegExp] => [{ COSMOS_ENDPOINT: url }, /^COSMOS_ENDPOINT: must not be a loopback address/],
      ),
      [{ DESK: 'livechat', LIVECHAT_BASE_URL: 'https://127.0.0.1:8443/', LIVECHAT_API_KEY: 'k', LIVECHAT_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}` }, /^LIVECHAT_BASE_URL: must not be a loopback address/],
    ];
    for (const [change, reason] of refused) {
      const found = problems({ ...env, ...change });
      assert.ok(found.some((p) => reason.test(p)), `${JSON.stringify(change)}: ${found.join(' | ')}`);
    }
    assert.deepEqual(problems({ ...env, NODE_ENV: 'test', COSMOS_ENDPOINT: 'https://127.0.0.1:8081/', ENTRA_AUTHORITY: 'http://127.0.0.1:9999' }).filter((p) => /loopback|https/.test(p)), [], 'tests and local runs keep them');
  });

  it('images: production needs Blob Storage, and outside local mode a link secret of 32+ characters', () => {
    const creds = { SKILL_APP_ID: 'a', CONSOLE_APP_ID: 'b', COPILOT_APP_ID: 'c', ALLOWED_CALLERS: 'c' };
    assert.deepEqual(problems(creds), ['FILE_LINK_SECRET: required outside local mode (signs the links to stored images; the same on every instance)']);
    assert.match(problems({ ...creds, FILE_LINK_SECRET: 'short' })[0], /^FILE_LINK_SECRET: at least 32 characters/);
    assert.match(problems({ ...creds, FILE_LINK_SECRET: 'x'.repeat(32), BLOB_ENDPOINT: 'https://a.blob.core.windows.net', BLOB_CONNECTION_STRING: 'UseDevelopmentStorage=true' })[0], /^BLOB_CONNECTION_STRING: set it or BLOB_ENDPOINT/);
    assert.match(problems({ BLOB_CONTAINER: 'Bad_Name' })[0], /^BLOB_CONTAINER: a Blob container name/);
    assert.match(problems({ MAX_IMAGE_BYTES: '10' })[0], /^MAX_IMAGE_BYTES/);
    const local = loadConfig({});
    assert.deepEqual([local.files.linkSecretGenerated, local.files.container, local.files.linkMinutes, local.files.maxImageBytes], [true, 'files', 60, 4 * 1024 * 1024]);
    assert.deepEqual([local.closing.transcriptOnClose, local.closing.surveyOnResolve], [true, true]);
    assert.equal(loadConfig({ TRANSCRIPT_ON_CLOSE: 'false' }).closing.transcriptOnClose, false);
  });

  it('a live-chat desk needs its base URL, and outside local mode its webhook secret in the whsec_ form', () => {
    const creds = { SKILL_APP_ID: 'a', CONSOLE_APP_ID: 'b', COPILOT_APP_ID: 'c', ALLOWED_CALLERS: 'c', FILE_LINK_SECRET: 'x'.repeat(32) };
    assert.deepEqual(problems({ ...creds }), []);
    const missing = problems({ ...creds, DESK: 'livechat' });
    assert.match(missing[0], /^LIVECHAT_BASE_URL: required when a live-chat desk is used/);
    assert.match(missing[1], /^LIVECHAT_WEBHOOK_SECRET: required when a live-chat desk is used outside local mode/);
    const viaQueue = problems({ ...creds, LIVECHAT_BASE_URL: 'https://desk.example.com', AGENT_QUEUES: JSON.stringify([{ name: 'vip', desk: 'livechat' }]) });
    assert.match(viaQueue[0], /^LIVECHAT_WEBHOOK_SECRET/);
    assert.match(problems({ LIVECHAT_WEBHOOK_SECRET: 'not-the-form' })[0], /^LIVECHAT_WEBHOOK_SECRET: the Standard Webhooks form/);
    assert.match(problems({ DESK: 'zendesk' })[0], /^DESK/);
    const ok = loadConfig({ ...creds, DESK: 'livechat', LIVECHAT_BASE_URL: 'https://desk.example.com', LIVECHAT_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}` });
    assert.deepEqual([ok.desks.desk, ok.desks.liveChat?.baseUrl], ['livechat', 'https://desk.example.com']);
    assert.equal(loadConfig({ DESK: 'livechat', LIVECHAT_BASE_URL: 'http://127.0.0.1:9' }).desks.liveChat?.webhookSecret, undefined, 'local mode: unsigned allowed');
    assert.ok(problems({ DESK: 'livechat', LIVECHAT_BASE_URL: 'https://deskuser:S3cret@desk.example.com/' }).some((p) => /^LIVECHAT_BASE_URL: must not carry a user name or password/.test(p)));
    assert.ok(problems({ DESK: 'livechat', LIVECHAT_BASE_URL: 'ftp://desk.example.com/' }).some((p) => /^LIVECHAT_BASE_URL: must be an http\(s\) URL/.test(p)));
  });
});
