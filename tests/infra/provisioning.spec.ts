import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PLATFORM_SETTINGS, SETTING_NAMES } from '../../src/config';

const root = join(__dirname, '..', '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

/** Every file a Teams Toolkit action names (paths with ${{...}} are build outputs). */
function namedFiles(doc: any): string[] {
  const keys = ['path', 'parameters', 'manifestPath', 'ignoreFile', 'appPackagePath'];
  const found: string[] = [];
  for (const stage of ['provision', 'deploy', 'publish']) {
    for (const action of doc[stage] ?? []) {
      const w = action.with ?? {};
      for (const k of keys) if (typeof w[k] === 'string') found.push(w[k]);
      for (const t of w.templates ?? []) for (const k of keys) if (typeof t[k] === 'string') found.push(t[k]);
    }
  }
  return found.filter((p) => !p.includes('${{'));
}

describe('provisioning files', () => {
  for (const file of ['teamsapp.yml', 'teamsapp.local.yml']) {
    it(`${file} parses and names only files that exist`, () => {
      const doc = parse(read(file));
      assert.match(doc.version, /^v1\.\d+$/);
      assert.ok(doc.provision.length > 0);
      const files = namedFiles(doc);
      assert.ok(files.length >= 2, `${file} names files`);
      for (const f of files) assert.ok(existsSync(join(root, f)), `${file} names ${f}, which does not exist`);
    });
  }

  it('infra parameters name only parameters the Bicep file declares, and give every one without a default', () => {
    const bicep = read('infra/azure.bicep');
    const params = Object.keys(JSON.parse(read('infra/azure.parameters.json')).parameters);
    for (const p of params) assert.match(bicep, new RegExp(`^param ${p} `, 'm'), `parameter ${p}`);
    const required = [...bicep.matchAll(/^param (\w+) \w+$/gm)].map((m) => m[1]);
    assert.ok(required.length >= 5);
    assert.deepEqual(required.filter((p) => !params.includes(p)), []);
  });

  it('teamsapp.yml provisions and deploys with the expected Teams Toolkit actions, in order', () => {
    const doc = parse(read('teamsapp.yml'));
    const uses = (stage: string) => (doc[stage] as Array<{ uses: string }>).map((a) => a.uses);
    assert.deepEqual(uses('provision'), [
      'botAadApp/create',
      'aadApp/create',
      'teamsApp/create',
      'arm/deploy',
      'aadApp/update',
      'teamsApp/validateManifest',
      'teamsApp/zipAppPackage',
      'teamsApp/validateAppPackage',
      'teamsApp/update',
    ]);
    assert.deepEqual(uses('deploy'), ['cli/runNpmCommand', 'cli/runNpmCommand', 'azureAppService/zipDeploy']);
  });

  /** `${{NAME}}` placeholders that Teams Toolkit must resolve when it runs `file`'s stages in `envFile`'s environment. */
  for (const [yml, envFile] of [
    ['teamsapp.yml', 'env/.env.dev'],
    ['teamsapp.local.yml', 'env/.env.local'],
  ]) {
    it(`every placeholder that ${yml} and the files it names use has a value (${envFile}, an action's output, a secret, or one you fill in)`, () => {
      const doc = parse(read(yml));
      const env = read(envFile);
      // Teams Toolkit stops at a placeholder whose value is empty: a name with no value there does not count.
      const defined = new Set([...env.matchAll(/^(\w+)=(.+)$/gm)].map((m) => m[1]));
      defined.add('TEAMSFX_ENV');
      // Asked for by the Toolkit (subscription, resource group; it makes up a suffix), or the README's steps have you
      // fill them in (the Copilot Studio agent's ids, the tunnel's URL for a local run).
      for (const n of ['AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP_NAME', 'RESOURCE_SUFFIX', 'COPILOT_APP_ID', 'ALLOWED_CALLERS', ...(yml === 'teamsapp.local.yml' ? ['PUBLIC_BASE_URL'] : [])]) {
        assert.ok(read('README.md').includes(n) || n.startsWith('AZURE_') || n === 'RESOURCE_SUFFIX', `${n} is one the README has you fill in`);
        defined.add(n);
      }
      // Written back by the actions that run earlier (registrations, Teams app, Bicep outputs).
      for (const action of [...doc.provision, ...(doc.deploy ?? [])]) for (const v of Object.values(action.writeToEnvironmentFile ?? {})) defined.add(String(v));
      if (yml === 'teamsapp.yml') for (const m of read('infra/azure.bicep').matchAll(/^output (\w+) /gm)) defined.add(m[1]);
      const files = [yml, 'appPackage/manifest.json', 'infra/skill-app.aad.json', ...(yml === 'teamsapp.yml' ? ['infra/azure.parameters.json'] : [])];
      const used = new Set(files.flatMap((f) => [...read(f).matchAll(/\$\{\{(\w+)\}\}/g)].map((m) => m[1])));
      assert.ok(used.size > 10);
      // Secrets are kept out of env/ (they go in env/.env.*.user): the env file must at least name them.
      const missing = [...used].filter((n) => !defined.has(n) && !(n.startsWith('SECRET_') && env.includes(n.replace(/^SECRET_/, ''))));
      assert.deepEqual(missing, []);
    });
  }

  it('a local Teams run reads every setting: env/.env.local first, then .localConfigs (registrations and secrets) over it', () => {
    const doc = parse(read('teamsapp.local.yml'));
    const write = doc.deploy.find((a: any) => a.uses === 'file/createOrUpdateEnvironmentFile');
    assert.equal(write.with.target, './.localConfigs');
    assert.match(read('package.json'), /"start:local": "[^"]*node --env-file=env\/\.env\.local --env-file=\.localConfigs /);
    const local = read('env/.env.local');
    const missing = SETTING_NAMES.filter((n) => !PLATFORM_SETTINGS.includes(n) && !(n in write.with.envs) && !new RegExp(`^(# )?${n}=`, 'm').test(local));
    assert.deepEqual(missing, []);
    // What provisioning writes and the registrations' secrets, which a run in Teams cannot do without.
    for (const n of ['SKILL_APP_ID', 'SKILL_APP_PASSWORD', 'CONSOLE_APP_ID', 'CONSOLE_APP_PASSWORD', 'COPILOT_APP_PASSWORD', 'FILE_LINK_SECRET']) assert.ok(n in write.with.envs, n);
  });

  it('the Bicep file creates the containers the service uses, with their partition keys and TTL', () => {
    const bicep = read('infra/azure.bicep');
    const store = read('src/store/cosmos/cosmosStore.ts');
    const declared = [...store.matchAll(/(\w+): \{ id: '(\w+)', partitionKey: '([^']+)' \}/g)];
    assert.equal(declared.length, 6, 'the store declares its six containers');
    for (const m of declared) {
      assert.ok(bicep.includes(`{ name: '${m[2]}', partitionKey: '${m[3]}' }`), `container ${m[2]} ${m[3]}`);
    }
    assert.match(bicep, /defaultTtl: -1/);
    assert.match(bicep, /EnableServerless/);
    assert.match(bicep, /endpoint: '\$\{publicBaseUrl\}\/api\/console\/messages'/);
  });

  describe('every setting the service reads is documented and wired', () => {
    const settings = SETTING_NAMES.filter((n) => !PLATFORM_SETTINGS.includes(n));
    it('has settings to check', () => assert.ok(settings.length > 30));
    for (const file of ['env/.env.local', 'env/.env.dev']) {
      it(`in ${file}`, () => {
        const text = read(file);
        const missing = settings.filter((n) => !new RegExp(`^(# )?${n}=|\\b${n}\\b`, 'm').test(text));
        assert.deepEqual(missing, []);
      });
    }
    it('in the Bicep app settings, from a parameter unless Azure fixes it', () => {
      const bicep = read('infra/azure.bicep');
      const missing = settings.filter((n) => !bicep.includes(`{ name: '${n}', value:`));
      assert.deepEqual(missing, []);
      // Fixed by design in Azure: production mode, the platform's port, managed identity, no emulator or local stand-in.
      const fixed = ['NODE_ENV', 'PORT', 'HOST', 'ALLOW_LOOPBACK_SERVICE_URLS', 'COSMOS_USE_MANAGED_IDENTITY', 'COSMOS_KEY', 'COSMOS_CA_FILE', 'BLOB_CONNECTION_STRING', 'LIVECHAT_BEARER_TOKEN', 'INSTANCE_ID'];
      const literal = settings.filter((n) => !fixed.includes(n) && new RegExp(`\\{ name: '${n}', value: '(?!@Microsoft\\.KeyVault)`).test(bicep));
      assert.deepEqual(literal, [], 'a setting written as a literal never takes the value set in env/.env.dev');
    });
    it('in the README settings table', () => {
      const readme = read('README.md');
      const missing = settings.filter((n) => !readme.includes(`| \`${n}\` |`));
      assert.deepEqual(missing, []);
    });
  });

  it('the parameters file gives exactly Bicep parameters, every one without a default among them', () => {
    const bicep = read('infra/azure.bicep');
    const params = [...bicep.matchAll(/^param (\w+) \w+( = )?/gm)].map((m) => ({ name: m[1], required: !m[2] }));
    const given = Object.keys(JSON.parse(read('infra/azure.parameters.json')).parameters);
    assert.deepEqual(given.filter((g) => !params.some((p) => p.name === g)), [], 'unknown parameters');
    assert.deepEqual(params.filter((p) => p.required && !given.includes(p.name)).map((p) => p.name), [], 'required parameters not given');
  });

  it('secrets appear in no committed env file with a value', () => {
    for (const file of ['env/.env.local', 'env/.env.dev']) {
      for (const line of read(file).split('\n')) {
        const m = /^(\w*(PASSWORD|KEY|SECRET|CONNECTION_STRING|TOKEN)\w*)=(.*)$/.exec(line);
        if (m) assert.equal(m[3], '', `${file}: ${m[1]} has a value`);
      }
    }
  });
});
