/** The env/ examples as the service reads them: the local one starts; the Azure one lacks only what is filled in. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config';

const root = join(__dirname, '..', '..', '..');
const example = (name: string) => parseEnv(readFileSync(join(root, 'env', name), 'utf8')) as NodeJS.ProcessEnv;

describe('the env/ examples', () => {
  it('env/.env.local is a valid configuration as it stands', () => {
    assert.doesNotThrow(() => loadConfig(example('.env.local')));
  });

  it('env/.env.dev fails only on settings it leaves empty (registrations, secrets, Bicep outputs), and loads once they are given', () => {
    const env = example('.env.dev');
    let problems: string[] = [];
    try {
      loadConfig(env);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      problems = [...err.message.matchAll(/^ {2}- (\w+):/gm)].map((m) => m[1]);
    }
    assert.ok(problems.length > 0);
    assert.deepEqual(problems.filter((name) => env[name]), [], 'a setting with a value in the file is wrong');
    const id = (n: number) => `${n}${n}${n}${n}${n}${n}${n}${n}-${n}${n}${n}${n}-4${n}${n}${n}-8${n}${n}${n}-${String(n).repeat(12)}`;
    const filled: NodeJS.ProcessEnv = {
      SKILL_APP_ID: id(1),
      CONSOLE_APP_ID: id(2),
      COPILOT_APP_ID: id(3),
      ALLOWED_CALLERS: id(3),
      SKILL_APP_PASSWORD: 'from-key-vault',
      CONSOLE_APP_PASSWORD: 'from-key-vault',
      COPILOT_APP_PASSWORD: 'from-key-vault',
      COSMOS_ENDPOINT: 'https://desk.documents.azure.com:443/',
      PUBLIC_BASE_URL: 'https://desk.contoso.com',
      BLOB_ENDPOINT: 'https://desk.blob.core.windows.net/',
      FILE_LINK_SECRET: 'x'.repeat(40),
    };
    assert.deepEqual(problems.filter((name) => !(name in filled)), [], 'every problem is one of the known fill-ins');
    assert.doesNotThrow(() => loadConfig({ ...env, ...filled }));
  });
});
