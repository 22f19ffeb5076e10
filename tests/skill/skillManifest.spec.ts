import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { ConnectorStub } from '../helpers/connectorStub';
import { startService, type TestService } from '../helpers/service';
import { readSchema } from '../helpers/schemas';

const root = join(__dirname, '..', '..', '..');

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const schema = readSchema('skill-manifest-2.2.schema.json');
  return ajv.compile(schema);
}

/** Copilot Studio accepts only string inputs/outputs, no arrays, no `required`, at most 25 per action. */
function copilotStudioProblems(manifest: any): string[] {
  const problems: string[] = [];
  const walk = (node: any, path: string) => {
    if (!node || typeof node !== 'object') return;
    if ('required' in node && Array.isArray(node.required)) problems.push(`${path}: uses required`);
    if (node.type === 'array') problems.push(`${path}: is an array`);
    for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`);
  };
  walk(manifest.definitions, 'definitions');
  for (const [name, def] of Object.entries<any>(manifest.definitions)) {
    const props = Object.values<any>(def.properties ?? {});
    if (props.length > 25) problems.push(`${name}: more than 25 properties`);
    for (const p of props) if (p.type !== 'string') problems.push(`${name}: non-string property`);
  }
  return problems;
}

describe('skill manifest', () => {
  it('the source file is strict JSON, valid against the skill manifest 2.2 schema', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'skill-manifest.json'), 'utf8'));
    const validate = validator();
    assert.ok(validate(manifest), JSON.stringify(validate.errors));
  });

  it('declares the contract Copilot Studio topics bind to', () => {
    const m = JSON.parse(readFileSync(join(root, 'skill-manifest.json'), 'utf8'));
    assert.equal(m.activities.startConversation.type, 'event');
    assert.equal(m.activities.sendMessage.type, 'message');
    assert.equal(m.activities.endConversation.type, 'event');
    assert.ok(m.definitions.startConversationOutput.properties.LiveChatConversationId);
    assert.ok(m.definitions.sendMessageInput.properties.LiveChatConversationId);
    assert.ok(m.definitions.sendMessageInput.properties.ProblemDescription);
    assert.ok(m.definitions.endConversationInput.properties.LiveChatConversationId);
    // The hand-back after a close answers sendMessage with these (skillBot.ts): declared, so a topic can bind them.
    assert.equal(m.activities.sendMessage.resultValue.$ref, '#/definitions/sendMessageOutput');
    assert.deepEqual(Object.keys(m.definitions.sendMessageOutput.properties), ['LiveChatConversationId', 'Reason', 'ClosedBy', 'Rating']);
    assert.deepEqual(copilotStudioProblems(m), []);
  });

  describe('GET /skill-manifest.json', () => {
    let stub: ConnectorStub;
    let svc: TestService;
    const appId = 'abcdef01-2345-4678-9abc-def012345678';
    before(async () => {
      stub = await new ConnectorStub().start();
      svc = await startService(stub, { PUBLIC_BASE_URL: 'https://handover.contoso.example/', SKILL_APP_ID: appId, CONSOLE_APP_ID: appId.replace('a', 'b'), COPILOT_APP_ID: appId.replace('a', 'c'), ALLOWED_CALLERS: appId });
    });
    after(async () => {
      await svc.close();
      await stub.stop();
    });

    it('serves the manifest with this deployment\'s endpoint and app id, still schema-valid', async () => {
      const res = await fetch(`${svc.url}/skill-manifest.json`);
      assert.equal(res.status, 200);
      const m = await res.json();
      assert.equal(m.endpoints[0].endpointUrl, 'https://handover.contoso.example/api/messages');
      assert.equal(m.endpoints[0].msAppId, appId);
      assert.ok(validator()(m));
    });
  });
});
